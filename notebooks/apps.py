from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotebooksConfig(AppConfig):
    name = "notebooks"
    verbose_name = _("Notebooks and runs")
