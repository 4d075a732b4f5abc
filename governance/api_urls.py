"""Governance API routes under /api/v1/, collected from the topic route modules."""

from governance.urls import TOPICS

urlpatterns = [pattern for topic in TOPICS for pattern in topic.api_urlpatterns]
