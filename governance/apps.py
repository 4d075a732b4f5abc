from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        """Hooks into the run engine: health evaluations start runs of their own, read what they measured when
        they end, and let auditors and stewards see them."""
        from governance.selectors.health import evaluation_run_visibility
        from governance.services.health import evaluation_run_finished, evaluation_run_inputs
        from notebooks import contract

        contract.run_visibility(evaluation_run_visibility)
        contract.on_run_finished(evaluation_run_finished)
        contract.run_inputs(evaluation_run_inputs)
