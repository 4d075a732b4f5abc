from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = _("LMS launches (LTI 1.3)")

    def ready(self) -> None:
        """A succeeded run of an assignment bound to an LMS activity sends its score (lti.services.grades)."""
        from lti.services.grades import run_finished
        from notebooks import contract

        contract.on_run_finished(run_finished)
