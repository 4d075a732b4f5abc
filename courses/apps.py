from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self) -> None:
        """Hooks into the run engine: instructors see their course's runs; a catalogue notebook's page shows
        the course panel (downloads, projects)."""
        from courses.selectors import run_visibility
        from courses.views import notebook_panel
        from notebooks import contract

        contract.run_visibility(run_visibility)
        contract.notebook_panel(notebook_panel)
