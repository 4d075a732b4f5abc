"""Curation: pages (`urlpatterns`, in the governance namespace: see portal.urls) and API routes (`api_urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, path

from curation import apis, views

urlpatterns: list[URLPattern] = [
    path("curation/", views.curation_home, name="curation"),
    path("curation/datasets/new/", views.dataset_create, name="dataset_create"),
    path("curation/deny-list/", views.deny_list, name="deny_list"),
    path("curation/deny-list/<int:pk>/remove/", views.deny_list_remove, name="deny_list_remove"),
    path("curation/datasets/<slug:slug>/", views.dataset_detail, name="dataset"),
    path("curation/datasets/<slug:slug>/import/", views.dataset_import, name="dataset_import"),
    path("curation/datasets/<slug:slug>/release/", views.dataset_release, name="dataset_release"),
    path("curation/datasets/<slug:slug>/block/", views.dataset_block, name="dataset_block"),
    path("curation/datasets/<slug:slug>/versions/", views.dataset_version_new, name="dataset_version_new"),
    path("curation/datasets/<slug:slug>/arbitration/", views.arbitration, name="arbitration"),
    path("curation/datasets/<slug:slug>/arbitration/<int:item_id>/", views.ruling_create, name="ruling_create"),
    path("curation/datasets/<slug:slug>/labels/", views.dataset_label_add, name="dataset_label_add"),
    path("curation/datasets/<slug:slug>/pii/", views.pii_review, name="pii"),
    path("curation/datasets/<slug:slug>/pii/scan/", views.pii_scan_start, name="pii_scan_start"),
    path("curation/datasets/<slug:slug>/pii/flags/<int:pk>/", views.pii_flag_update, name="pii_flag"),
]
api_urlpatterns: list[URLPattern] = [
    path("datasets/", apis.DatasetListApi.as_view(), name="api-datasets"),
    path("datasets/<slug:slug>/", apis.DatasetDetailApi.as_view(), name="api-dataset"),
    path("datasets/<slug:slug>/versions/", apis.DatasetVersionApi.as_view(), name="api-dataset-versions"),
    path("datasets/<slug:slug>/import/", apis.DatasetImportApi.as_view(), name="api-dataset-import"),
    path("datasets/<slug:slug>/agreement/", apis.DatasetAgreementApi.as_view(), name="api-dataset-agreement"),
    path("datasets/<slug:slug>/arbitration/", apis.ArbitrationApi.as_view(), name="api-dataset-arbitration"),
    path("datasets/<slug:slug>/rulings/", apis.RulingListApi.as_view(), name="api-dataset-rulings"),
    path("datasets/<slug:slug>/pii-scans/", apis.PiiScanListApi.as_view(), name="api-dataset-pii-scans"),
    path("datasets/<slug:slug>/pii-scans/<int:pk>/", apis.PiiScanDetailApi.as_view(), name="api-dataset-pii-scan"),
    path("datasets/<slug:slug>/flags/", apis.PiiFlagListApi.as_view(), name="api-dataset-flags"),
    path("datasets/<slug:slug>/flags/<int:pk>/", apis.PiiFlagDetailApi.as_view(), name="api-dataset-flag"),
    path("datasets/<slug:slug>/flags/<int:pk>/resolve/", apis.PiiFlagResolveApi.as_view(), name="api-dataset-flag-resolve"),
    path("datasets/<slug:slug>/release/", apis.DatasetReleaseApi.as_view(), name="api-dataset-release"),
    path("datasets/<slug:slug>/block/", apis.DatasetBlockApi.as_view(), name="api-dataset-block"),
    path("pii-terms/", apis.PiiTermListApi.as_view(), name="api-pii-terms"),
    path("pii-terms/<int:pk>/", apis.PiiTermDetailApi.as_view(), name="api-pii-term"),
]
