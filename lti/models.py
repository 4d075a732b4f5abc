"""LTI 1.3: the platforms (LMSs) an administrator registered, who launched from them, and what their
contexts and resource links are bound to in the portal.

An LMS course (a "context") is bound to one portal course, an LMS resource link to one assignment of it.
A person is known by the platform's `sub` claim under its issuer, never by e-mail alone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Platform(models.Model):
    """An LMS registration: what the LMS told the administrator (issuer, client id, its URLs, deployments)
    and the key pair the portal generated for it (the public half is served in the portal's JWKS)."""

    name = models.CharField(_("name"), max_length=120)
    institution = models.ForeignKey("courses.Institution", on_delete=models.PROTECT, related_name="lms_platforms")
    issuer = models.URLField(_("issuer"), max_length=300)
    client_id = models.CharField(_("client id"), max_length=200)
    auth_login_url = models.URLField(_("authentication request URL"), max_length=500)
    auth_token_url = models.URLField(_("access token URL"), max_length=500)
    auth_audience = models.CharField(_("token audience"), max_length=500, blank=True)
    keyset_url = models.URLField(_("public keyset URL"), max_length=500)
    deployment_ids = models.JSONField(_("deployment ids"), default=list)
    key_id = models.CharField(_("key id"), max_length=64, editable=False)
    private_key_pem = models.TextField(editable=False)
    public_key_pem = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_issuer_client_unique")]
        verbose_name = _("LMS platform")
        verbose_name_plural = _("LMS platforms")

    def __str__(self) -> str:
        return self.name


class LtiIdentity(models.Model):
    """One person of one platform: (issuer, sub) is who they are there; `user` is who they are here."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField(max_length=300)
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform_id", "sub"]
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="lti_identity_issuer_sub_unique")]
        verbose_name = _("LMS identity")
        verbose_name_plural = _("LMS identities")

    def __str__(self) -> str:
        return f"{self.sub} @ {self.issuer}"


class ContextBinding(models.Model):
    """An LMS course bound to a portal course, with the service endpoints its last launch announced."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="lms_contexts")
    memberships_url = models.URLField(max_length=500, blank=True)
    lineitems_url = models.URLField(max_length=500, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)
    deployment_id = models.CharField(max_length=255)
    roster_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["platform_id", "context_id"]
        constraints = [models.UniqueConstraint(fields=["platform", "context_id"], name="lti_context_once_per_platform")]
        verbose_name = _("LMS course binding")
        verbose_name_plural = _("LMS course bindings")

    def __str__(self) -> str:
        return f"{self.title or self.context_id} → {self.course_id}"


class ResourceLink(models.Model):
    """An LMS activity bound to an assignment; `lineitem_url` is its grade column, where scores go."""

    context = models.ForeignKey(ContextBinding, on_delete=models.CASCADE, related_name="resource_links")
    resource_link_id = models.CharField(max_length=255)
    assignment = models.ForeignKey("courses.Assignment", on_delete=models.CASCADE, related_name="lms_links")
    lineitem_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["context_id", "resource_link_id"]
        constraints = [models.UniqueConstraint(fields=["context", "resource_link_id"], name="lti_resource_link_once")]
        verbose_name = _("LMS activity binding")
        verbose_name_plural = _("LMS activity bindings")

    def __str__(self) -> str:
        return f"{self.resource_link_id} → {self.assignment_id}"


class GradeSend(models.Model):
    """One score of one succeeded run on its way to the LMS: kept until the LMS accepts it, so nothing is
    lost while the LMS is down; `attempts` and `last_error` show why one is still pending or failed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    link = models.ForeignKey(ResourceLink, on_delete=models.CASCADE, related_name="grade_sends")
    identity = models.ForeignKey(LtiIdentity, on_delete=models.CASCADE, related_name="grade_sends")
    run = models.ForeignKey("notebooks.Run", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=100)
    score = models.FloatField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["link", "run"], name="lti_grade_send_once_per_run"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="lti_grade_send_score_range"),
        ]
        verbose_name = _("score sent to the LMS")
        verbose_name_plural = _("scores sent to the LMS")

    def __str__(self) -> str:
        return f"run {self.run_id} → {self.link} ({self.status})"


class LaunchValue(models.Model):
    """The login step's state and nonce until the launch comes back (pylti1p3's launch-data storage). In the
    database, not the session: the LMS posts the launch cross-site, where the session cookie is not sent."""

    key = models.CharField(max_length=255, unique=True)
    value = models.JSONField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["expires_at"]

    def __str__(self) -> str:
        return self.key
