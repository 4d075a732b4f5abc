from __future__ import annotations

from django.urls import path

from courses import apis

urlpatterns = [
    path("courses/", apis.CourseListApi.as_view(), name="api-courses"),
    path("courses/<int:pk>/", apis.CourseDetailApi.as_view(), name="api-course"),
    path("courses/<int:pk>/enrolments/csv/", apis.EnrolmentCsvApi.as_view(), name="api-course-enrol-csv"),
    path("courses/<int:pk>/limits/", apis.CourseLimitsApi.as_view(), name="api-course-limits"),
    path("courses/<int:pk>/gradebook/", apis.CourseGradebookApi.as_view(), name="api-course-gradebook"),
    path("assignments/<int:pk>/settings/", apis.AssignmentSettingsApi.as_view(), name="api-assignment-settings"),
    path("assignments/<int:pk>/runs/", apis.AssignmentRunsApi.as_view(), name="api-assignment-runs"),
    path("derived-projects/", apis.DerivedProjectListApi.as_view(), name="api-derived-projects"),
]
