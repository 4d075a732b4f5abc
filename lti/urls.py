from __future__ import annotations

from django.urls import path

from lti import views

app_name = "lti"

urlpatterns = [
    path("lti/login/", views.login_initiation, name="login"),
    path("lti/launch/", views.launch, name="launch"),
    path("lti/launch/deep-link/", views.launch, name="deep_link_launch"),
    path("lti/jwks/", views.jwks, name="jwks"),
    path("lti/setup/", views.setup, name="setup"),
    path("lti/bind/", views.bind, name="bind"),
    path("lti/deep-link/", views.deep_link, name="deep_link"),
    path("lti/courses/<int:pk>/", views.course_links, name="course_links"),
    path("lti/contexts/<int:pk>/roster/", views.roster_sync, name="roster_sync"),
]
