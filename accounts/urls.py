from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.forms import PortalPasswordResetForm, PortalSetPasswordForm
from accounts.reset_limits import RateLimitedPasswordResetView

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("roles/", views.my_roles, name="roles"),
    path("roles/queue/", views.approval_queue, name="queue"),
    path("roles/applications/<int:pk>/decide/", views.decide_application, name="decide"),
    path("roles/revoke/", views.revoke_role, name="revoke"),
    path("audit-log/", views.audit_log, name="audit_log"),
    path("notifications/", views.notifications, name="notifications"),
    path("password/", auth_views.PasswordChangeView.as_view(success_url="/"), name="password_change"),
    # Password reset by e-mail (also how students enrolled from a CSV set their first password).
    path(
        "password/reset/",
        RateLimitedPasswordResetView.as_view(
            form_class=PortalPasswordResetForm,
            template_name="accounts/password_reset_form.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=PortalSetPasswordForm,
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
]
