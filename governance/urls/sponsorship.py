"""Sponsorship: pages (urlpatterns, under the governance namespace) and API routes (api_urlpatterns, under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from governance.apis import sponsorship as apis
from governance.views import sponsorship as views

urlpatterns = [
    path("sponsorship/", views.dashboard, name="sponsorship"),
    path("sponsorship/quarters/new/", views.quarter_open, name="quarter_new"),
    path("sponsorship/quarters/<str:label>/", views.quarter_detail, name="quarter"),
    path("sponsorship/quarters/<str:label>/compute/", views.quarter_compute, name="quarter_compute"),
    path("sponsorship/quarters/<str:label>/freeze/", views.quarter_freeze, name="quarter_freeze"),
    path("sponsorship/verify/", views.verify, name="sponsorship_verify"),
]
api_urlpatterns = [
    path("sponsorship/quarters/", apis.QuarterListApi.as_view(), name="api-quarters"),
    path("sponsorship/quarters/<str:label>/", apis.QuarterDetailApi.as_view(), name="api-quarter"),
    path("sponsorship/quarters/<str:label>/compute/", apis.QuarterComputeApi.as_view(), name="api-quarter-compute"),
    path("sponsorship/quarters/<str:label>/freeze/", apis.QuarterFreezeApi.as_view(), name="api-quarter-freeze"),
    path("sponsorship/quarters/<str:label>/allocations/", apis.AllocationsApi.as_view(), name="api-quarter-allocations"),
    path(
        "sponsorship/quarters/<str:label>/allocations.csv", apis.AllocationsCsvApi.as_view(), name="api-quarter-allocations-csv"
    ),
    path("sponsorship/quarters/<str:label>/manifest.json", apis.ManifestApi.as_view(), name="api-quarter-manifest"),
    path("sponsorship/quarters/<str:label>/verification/", apis.VerificationApi.as_view(), name="api-quarter-verification"),
    path(
        "sponsorship/quarters/<str:label>/attestation.json", apis.QuarterAttestationApi.as_view(), name="api-quarter-attestation"
    ),
    path(
        "certifications/<int:pk>/attestation.json",
        apis.CertificationAttestationApi.as_view(),
        name="api-certification-attestation",
    ),
    path("attestations/public-key/", apis.AttestationKeyApi.as_view(), name="api-attestation-key"),
    path(
        "sponsorship/quarters/<str:label>/payouts/github-sponsors.csv",
        apis.GitHubSponsorsCsvApi.as_view(),
        name="api-quarter-payouts-github",
    ),
    path(
        "sponsorship/quarters/<str:label>/payouts/open-collective.csv",
        apis.OpenCollectiveCsvApi.as_view(),
        name="api-quarter-payouts-open-collective",
    ),
    path(
        "sponsorship/quarters/<str:label>/payouts/blocked.csv",
        apis.BlockedPayoutsCsvApi.as_view(),
        name="api-quarter-payouts-blocked",
    ),
]
