from django.urls import URLPattern, path
from oauth2_provider import views as oauth_views

from labs import views

app_name = "labs"

urlpatterns: list[URLPattern] = [
    # The portal as JupyterHub's OAuth 2 identity provider (django-oauth-toolkit): only what the Hub uses.
    path("o/authorize/", oauth_views.AuthorizationView.as_view(), name="oauth_authorize"),
    path("o/token/", oauth_views.TokenView.as_view(), name="oauth_token"),
    path("o/revoke_token/", oauth_views.RevokeTokenView.as_view(), name="oauth_revoke"),
    path("oauth/userinfo/", views.userinfo, name="userinfo"),
    path("labs/notebooks/<slug:slug>/open/", views.open_notebook, name="open_notebook"),
    path("labs/assignments/<int:pk>/open/", views.open_assignment, name="open_assignment"),
    path("labs/assignments/<int:pk>/submit/", views.submit_assignment, name="submit_assignment"),
    path("labs/submissions/<int:pk>/changes/", views.submission_changes, name="submission_changes"),
]
