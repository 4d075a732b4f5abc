"""Governance pages, one route module per topic (each also lists its API routes; see `governance.api_urls`)."""

from governance.urls import audits, health, owners, registry, sponsorship

app_name = "governance"

TOPICS = [registry, audits, health, sponsorship, owners]

urlpatterns = [pattern for topic in TOPICS for pattern in topic.urlpatterns]
