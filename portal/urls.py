from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

import curation.urls
import governance.urls
import toolchain.urls
from portal import views

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"

# Curation and toolchain left governance as apps of their own; their pages keep the `governance:` names
# (and so every reverse() and template URL) by sharing the governance namespace.
governance_pages = [*governance.urls.urlpatterns, *curation.urls.urlpatterns, *toolchain.urls.urlpatterns]

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api_urls")),
    path("", include("notebooks.api_urls")),
    path("", include("governance.api_urls")),
    path("", include(curation.urls.api_urlpatterns)),
    path("", include(toolchain.urls.api_urlpatterns)),
    path("", include("courses.api_urls")),
    path("stats/", views.StatsApi.as_view(), name="api-stats"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("stats/", views.stats, name="stats"),
    path("people/", views.people, name="people"),
    path("people/<str:username>/", views.person, name="person"),
    path("me/", views.my_work, name="my_work"),
    path("health/methodology/<slug:version>/", views.methodology, name="methodology"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("accounts.identity_urls")),  # sign-in with GitHub and universities (django-allauth)
    path("", include("notebooks.urls")),
    path("", include("guide.urls")),
    path("", include((governance_pages, governance.urls.app_name))),
    path("", include("courses.urls")),
    path("", include("labs.urls")),
    path("", include("lti.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
]
