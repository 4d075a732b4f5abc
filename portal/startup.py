"""What a web process does once it has loaded, before its first request."""

from __future__ import annotations

import gc

from django.urls import get_resolver


def settle() -> None:
    """Imports every view (the URL patterns name them), then takes everything loaded so far out of the garbage
    collector's generations.

    What start-up loads lives as long as the process. Left in the collected generations, every full collection walks
    all of it again, so the request that happens to trigger one waits for it: 100–300 ms on the pages that build many
    objects at scale (bench/scale.py, the p95 column). `gc.freeze()` moves those objects to a permanent generation that
    collections skip, as Python's documentation advises for long-lived server processes; forked workers also keep
    sharing those memory pages instead of copying them when a collection touches them.
    """
    get_resolver().url_patterns  # noqa: B018 — loads the views now, not on the first request
    gc.collect()
    gc.freeze()
