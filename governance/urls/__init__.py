"""Governance pages, one route module per topic (each also lists its API routes; see `governance.api_urls`)."""

from governance.urls import audits, curation, health, owners, registry, sponsorship, toolchain

app_name = "governance"

TOPICS = [registry, audits, curation, toolchain, health, sponsorship, owners]

urlpatterns = [pattern for topic in TOPICS for pattern in topic.urlpatterns]
