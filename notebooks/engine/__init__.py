"""The run engine: a pool of kernels started ahead, the executor with its limits, and HTML rendering.

Nothing here touches domain models other than `Run`; the Celery task in `notebooks.tasks` calls
`executor.execute_run`.
"""
