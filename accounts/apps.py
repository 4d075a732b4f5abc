from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and audit log")

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up
        from allauth.socialaccount.signals import social_account_added

        from accounts import identity_admin, social_adapter

        identity_admin.register()

        social_account_added.connect(social_adapter.identity_added, dispatch_uid="accounts.identity_added")
        user_signed_up.connect(social_adapter.identity_signed_up, dispatch_uid="accounts.identity_signed_up")
