from django.urls import path

from notebooks import apis

urlpatterns = [
    path("notebooks/", apis.NotebookListApi.as_view(), name="api-notebooks"),
    path("notebooks/check/", apis.NotebookCheckApi.as_view(), name="api-notebook-check"),
    path("notebooks/<slug:slug>/", apis.NotebookDetailApi.as_view(), name="api-notebook"),
    path("runs/", apis.RunListApi.as_view(), name="api-runs"),
    path("runs/<int:pk>/", apis.RunDetailApi.as_view(), name="api-run"),
    path("runs/<int:pk>/cancel/", apis.RunCancelApi.as_view(), name="api-run-cancel"),
    path("runners/", apis.RunnerListApi.as_view(), name="api-runners"),
]
