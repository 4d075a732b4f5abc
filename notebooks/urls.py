from django.urls import path

from notebooks import views

app_name = "notebooks"

urlpatterns = [
    path("notebooks/", views.catalogue, name="catalogue"),
    path("notebooks/<slug:slug>/", views.notebook_detail, name="notebook"),
    path("runs/", views.my_runs, name="my_runs"),
    path("runs/compare/", views.run_compare, name="compare"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/output.html", views.run_output_html, name="run_output_html"),
    path("runs/<int:pk>/output.ipynb", views.run_output_notebook, name="run_output_notebook"),
    path("runners/", views.fleet, name="fleet"),
]
