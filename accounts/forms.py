from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

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
