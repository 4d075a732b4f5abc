from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ToolchainConfig(AppConfig):
    name = "toolchain"
    verbose_name = _("Toolchain")
