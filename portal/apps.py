from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        """The embedded broker's folders exist before any process (web, worker, beat) connects to it.

        Made here rather than in the settings, which only name them: reading the settings creates nothing.
        """
        for folder in settings.EMBEDDED_BROKER_FOLDERS:
            folder.mkdir(parents=True, exist_ok=True)
