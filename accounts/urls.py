from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

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
]
