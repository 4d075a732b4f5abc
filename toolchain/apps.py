from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ToolchainConfig(AppConfig):
    name = "toolchain"
    verbose_name = _("Toolchain")

    def ready(self) -> None:
        """Hooks into the run engine: a benchmark's runs are read when they end and seen by maintainers."""
        from notebooks import contract
        from toolchain.selectors import benchmark_run_visibility
        from toolchain.services import benchmark_run_finished

        contract.run_visibility(benchmark_run_visibility)
        contract.on_run_finished(benchmark_run_finished)
