from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="api-token"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("roles/counts/", apis.RoleCountsApi.as_view(), name="api-role-counts"),
    path("roles/applications/", apis.RoleApplicationListApi.as_view(), name="api-role-applications"),
    path("roles/applications/<int:pk>/decide/", apis.RoleApplicationDecideApi.as_view(), name="api-role-application-decide"),
]
