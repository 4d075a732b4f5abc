from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Role, User


class SignupForm(UserCreationForm[User]):
    email = forms.EmailField(label=_("E-mail"))
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)

    class Meta:
        model = User
        fields = ["username", "email", "display_name"]


class RoleApplicationForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    motivation = forms.CharField(
        label=_("Why do you apply?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Your experience and what you will do with the role."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), max_length=4000, required=False)


class RevokeForm(forms.Form):
    user_id = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=Role.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=4000)


class PortalPasswordResetForm(PasswordResetForm):
    """Django's reset form, except that accounts without a usable password get the e-mail too.

    Students enrolled from a CSV start with an unusable password; the e-mailed link is how they set one.
    Django's form skips such accounts by default. Inactive accounts still get nothing, and the page that
    follows is the same whether or not the address is known.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        email_field = User.get_email_field_name()
        for user in User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True}):
            if str(getattr(user, email_field)).casefold() == email.casefold():
                yield user


class PortalSetPasswordForm(SetPasswordForm):
    """Sets the new password through the service, which writes the audit log entry."""

    def save(self, commit: bool = True) -> User:
        return services.user_password_reset(user=self.user, password=self.cleaned_data["new_password1"])
