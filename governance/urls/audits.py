"""Audits: pages (urlpatterns, under the governance namespace) and API routes (api_urlpatterns, under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from governance.apis import audits as apis
from governance.views import audits as views

urlpatterns = [
    path("audits/", views.audit_home, name="audits"),
    path("audits/new/", views.audit_create, name="audit_new"),
    path("audits/<int:pk>/", views.audit_detail, name="audit"),
    path("audits/<int:pk>/edit/", views.audit_update, name="audit_update"),
    path("audits/<int:pk>/findings/", views.finding_add, name="audit_finding"),
    path("audits/<int:pk>/evidence/", views.evidence_add, name="audit_evidence"),
    path("audits/<int:pk>/submit/", views.audit_submit, name="audit_submit"),
    path("audits/<int:pk>/decide/", views.audit_decide, name="audit_decide"),
    path("audits/<int:pk>/comments/", views.audit_comment, name="audit_comment"),
    path("audits/values/<int:pk>/review/", views.evaluation_review, name="evaluation_review"),
]
api_urlpatterns = [
    path("audits/", apis.AuditListApi.as_view(), name="api-audits"),
    path("audits/<int:pk>/", apis.AuditDetailApi.as_view(), name="api-audit"),
    path("audits/<int:pk>/submit/", apis.AuditSubmitApi.as_view(), name="api-audit-submit"),
    path("audits/<int:pk>/decide/", apis.AuditDecideApi.as_view(), name="api-audit-decide"),
    path("audits/<int:pk>/findings/", apis.AuditFindingsApi.as_view(), name="api-audit-findings"),
    path("audits/<int:pk>/evidence/", apis.AuditEvidenceApi.as_view(), name="api-audit-evidence"),
    path("audits/<int:pk>/comments/", apis.AuditCommentsApi.as_view(), name="api-audit-comments"),
]
