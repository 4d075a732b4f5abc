from __future__ import annotations

from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("courses/", views.index, name="index"),
    path("courses/join/", views.join, name="join"),
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("courses/<int:pk>/enrol/", views.enrol_csv, name="enrol"),
    path("courses/<int:pk>/limits/", views.course_limits, name="course_limits"),
    path("courses/<int:pk>/gradebook/", views.course_gradebook, name="gradebook"),
    path("courses/<int:pk>/gradebook.csv", views.course_gradebook_csv, name="gradebook_csv"),
    path("courses/<int:pk>/assignments/", views.assignment_create, name="assignment_create"),
    path("courses/<int:pk>/bundle.zip", views.course_bundle, name="course_bundle"),
    path("courses/assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("courses/assignments/<int:pk>/grades/", views.assignment_grades, name="assignment_grades"),
    path("courses/assignments/<int:pk>/grades.csv", views.grades_csv, name="grades_csv"),
    path("courses/assignments/<int:pk>/settings/", views.assignment_settings, name="assignment_settings"),
    path("courses/submissions/<int:pk>/rerun/", views.rerun, name="rerun"),
    path("courses/notebooks/<slug:slug>/bundle.zip", views.notebook_bundle, name="notebook_bundle"),
    path("courses/projects/", views.projects, name="projects"),
    path("courses/projects/<int:pk>/decide/", views.project_decide, name="project_decide"),
    path("courses/institutions/<int:pk>/", views.institution_detail, name="institution"),
]
