from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AUDITOR = "auditor", _("Model auditor")
    CURATOR = "curator", _("Data curator")
    TOOLCHAIN_MAINTAINER = "toolchain_maintainer", _("Toolchain maintainer")
    STEWARD = "steward", _("Sponsorship steward")
    INSTRUCTOR = "instructor", _("Instructor")
    STUDENT = "student", _("Student")
    ADMINISTRATOR = "administrator", _("Administrator")


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    # The language the person last chose in the portal's switch: e-mails are written in it. Blank: the default.
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def public_name(self) -> str:
        return self.display_name or self.username


class RoleGrant(models.Model):
    """A role held by a user. Revoking keeps the row (with `revoked_at`) so history stays visible."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revocation"), blank=True)

    class Meta:
        ordering = ["user_id", "role", "-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(revoked_at__isnull=True), name="one_active_grant_per_role"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_grant_role_valid"),
        ]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RoleApplication(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    applicant = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_applications")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    motivation = models.TextField(_("motivation"), max_length=4000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True, max_length=4000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "role"], condition=Q(status="pending"), name="one_pending_application_per_role"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_application_role_valid"),
        ]
        verbose_name = _("role application")
        verbose_name_plural = _("role applications")

    def __str__(self) -> str:
        return f"{self.applicant} → {self.get_role_display()} ({self.get_status_display()})"


class AuditLogQuerySet(models.QuerySet["AuditLogEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class AuditLogEntry(models.Model):
    """One state change: who did what to which object, with the state before and after.

    Append-only: the model refuses updates and deletes, and database triggers (migration 0002) refuse
    them too, so neither the app, the admin nor a stray queryset can rewrite history.
    """

    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="auditlog_object_idx")]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class Notification(models.Model):
    """Something that needs a person's attention, shown in the portal (and sent by e-mail when it was created)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40)
    message = models.CharField(_("message"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # `message` is an English msgid with %(name)s placeholders filled from `params` at read time, in the
    # reader's language; names listed in params["_translate"] are themselves translated (statuses, kinds).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # What the notification is about ("audit:4:decision"): deciding that object resolves it.
    topic = models.CharField(_("topic"), max_length=80, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.user}: {self.message}"

    @property
    def text(self) -> str:
        """The message in the active language (old rows without params are shown as they were stored)."""
        from django.utils.translation import gettext

        if not self.params:
            return gettext(self.message)
        translate = set(self.params.get("_translate", []))
        values = {key: gettext(value) if key in translate else value for key, value in self.params.items()}
        try:
            return gettext(self.message) % values
        except (KeyError, TypeError, ValueError):
            return self.message % values if "%(" in self.message else self.message


class RateCounter(models.Model):
    """Requests counted under one key in one fixed window, in the database every web process shares.

    Rate limits (password reset today) count here rather than in a per-process cache, so the limit holds
    across every web process and machine of the deployment. A row lives for its window; older rows are
    deleted as new ones are written.
    """

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_counter_key_window")]
        indexes = [models.Index(fields=["window_start"], name="rate_counter_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.count}"
