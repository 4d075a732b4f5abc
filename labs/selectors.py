"""Reads about the labs: who of a course has a JupyterLab server running, from the Hub's REST API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from courses.models import Course, Enrolment
from labs.hub_client import HubClient, HubUnavailable, hub_username


@dataclass(frozen=True)
class RunningLab:
    enrolment: Enrolment
    started: datetime | None
    last_activity: datetime | None

    @property
    def minutes(self) -> int:
        return int((timezone.now() - self.started).total_seconds() // 60) if self.started else 0


def course_running_labs(course: Course, client: HubClient | None = None) -> list[RunningLab] | None:
    """The course's members with a lab server running, longest-running first; None when the Hub is not
    configured or does not answer (the page says so instead of failing)."""
    client = client or HubClient()
    if not client.configured:
        return None
    try:
        servers = client.servers()
    except HubUnavailable:
        return None
    enrolments = Enrolment.objects.filter(course=course).select_related("user").order_by("user__username")
    running = [
        RunningLab(enrolment, server.started, server.last_activity)
        for enrolment in enrolments
        if (server := servers.get(hub_username(enrolment.user.username))) is not None
    ]
    return sorted(running, key=lambda lab: lab.started or timezone.now())
