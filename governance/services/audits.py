"""Audit writes. Four eyes: the decider is an auditor who is not the author, not an owner of the model, and
has not declared a conflict of interest for it. Every refusal says why and is logged."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.audit import atomic_logging_refusals, audit_log_record, refusal_logged, refusal_logged_after_rollback, snapshot
from accounts.errors import ApplicationError, NotAllowed, TooLarge, WrongState
from accounts.models import Role, User
from accounts.notifications import holders_of, notifications_resolve, notify
from accounts.selectors import user_has_role
from governance.models import Audit, AuditComment, AuditEvidence, CommunityModel, ConflictOfInterest, Finding
from notebooks.models import Run

_FIELDS = ("status", "decided_by", "decided_at", "decision_note", "submissions")
TEXT_MAX = 100_000
DECISIONS = {"accept": Audit.Status.ACCEPTED, "reject": Audit.Status.REJECTED, "changes": Audit.Status.CHANGES_REQUESTED}


def _check_text(field: str, text: str, *, required: bool = False, limit: int = TEXT_MAX) -> str:
    text = text.strip()
    if required and not text:
        raise ApplicationError(
            f"{field.replace('_', ' ').capitalize()} is required.", fields={field: ["This field is required."]}
        )
    if len(text) > limit:
        raise ApplicationError("Text too long.", fields={field: [f"At most {limit:,} characters."]})
    return text


def _require_author_editing(actor: User, audit: Audit, action: str) -> None:
    """Refusals are logged by `atomic_logging_refusals` once the caller's transaction has rolled back."""
    if audit.author_id != actor.pk:
        reason = "Only the audit's author may change it."
        raise refusal_logged_after_rollback(NotAllowed(reason), actor=actor, action=action, obj=audit, reason=reason)
    if not audit.editable:
        raise WrongState(
            f"This audit is {audit.get_status_display()}: it can only change as a draft or after changes were requested.",
            code="not_editable",
        )


@transaction.atomic
def audit_create(*, actor: User, model: CommunityModel, kind: str, title: str, summary: str = "") -> Audit:
    """Opens a draft audit of the model's current version."""
    if not user_has_role(actor, Role.AUDITOR):
        raise NotAllowed("Only auditors open audits: apply for the auditor role first.", code="not_auditor")
    if kind not in Audit.Kind.values:
        raise ApplicationError("Unknown kind.", fields={"kind": ["Choose security, bias or compliance."]})
    title = _check_text("title", title, required=True, limit=200)
    summary = _check_text("summary", summary)
    if model.current_version_id is None:
        raise WrongState("This model has no version to audit.", code="no_version")
    audit = Audit.objects.create(
        model=model, version_id=model.current_version_id, kind=kind, title=title, summary=summary, author=actor
    )
    audit_log_record(actor=actor, action="audit.create", obj=audit, after={"model": model.slug, "kind": kind, "title": title})
    return audit


@atomic_logging_refusals
def audit_update(*, actor: User, audit: Audit, title: str | None = None, summary: str | None = None) -> Audit:
    _require_author_editing(actor, audit, "audit.update")
    before = snapshot(audit, ("title", "summary"))
    if title is not None:
        audit.title = _check_text("title", title, required=True, limit=200)
    if summary is not None:
        audit.summary = _check_text("summary", summary)
    audit.save(update_fields=["title", "summary", "updated_at"])
    audit_log_record(actor=actor, action="audit.update", obj=audit, before=before, after=snapshot(audit, ("title", "summary")))
    return audit


@atomic_logging_refusals
def finding_add(*, actor: User, audit: Audit, severity: str, title: str, text: str = "") -> Finding:
    _require_author_editing(actor, audit, "audit.finding_add")
    if severity not in Finding.Severity.values:
        raise ApplicationError("Unknown severity.", fields={"severity": ["Choose info, low, medium, high or critical."]})
    finding = Finding.objects.create(
        audit=audit,
        severity=severity,
        title=_check_text("title", title, required=True, limit=200),
        text=_check_text("text", text),
    )
    Audit.objects.filter(pk=audit.pk).update(updated_at=timezone.now())
    audit_log_record(
        actor=actor,
        action="audit.finding_add",
        obj=audit,
        after={"finding": finding.pk, "severity": severity, "title": finding.title},
    )
    return finding


@atomic_logging_refusals
def finding_remove(*, actor: User, finding: Finding) -> None:
    audit = finding.audit
    _require_author_editing(actor, audit, "audit.finding_remove")
    audit_log_record(
        actor=actor,
        action="audit.finding_remove",
        obj=audit,
        before={"finding": finding.pk, "severity": finding.severity, "title": finding.title},
    )
    finding.delete()


@atomic_logging_refusals
def evidence_add(
    *, actor: User, audit: Audit, file: UploadedFile | None = None, run: Run | None = None, link: str = "", note: str = ""
) -> AuditEvidence:
    """Attaches one piece of evidence: a file, a notebook run the actor may see, or an http(s) link."""
    _require_author_editing(actor, audit, "audit.evidence_add")
    if sum(bool(item) for item in (file, run, link)) != 1:
        raise ApplicationError(
            "Attach one thing: a file, a run or a link.", fields={"evidence": ["Exactly one of file, run, link."]}
        )
    if file is not None and (file.size or 0) > settings.GOVERNANCE_EVIDENCE_MAX_BYTES:
        raise TooLarge(
            f"Evidence files are limited to {settings.GOVERNANCE_EVIDENCE_MAX_BYTES:,} bytes.", fields={"file": ["Too large."]}
        )
    if link and not (link.startswith(("https://", "http://")) and len(link) <= 500 and " " not in link):
        raise ApplicationError("Links must be http(s) addresses.", fields={"link": ["An http:// or https:// address."]})
    evidence = AuditEvidence(audit=audit, run=run, link=link, note=_check_text("note", note, limit=300), added_by=actor)
    if file is not None:
        name = (file.name or "evidence").rsplit("/", 1)[-1][:200]
        evidence.file_name = name
        evidence.file.save(name, file, save=False)
    evidence.save()
    audit_log_record(
        actor=actor,
        action="audit.evidence_add",
        obj=audit,
        after={"evidence": evidence.pk, "file": evidence.file_name, "run": run.pk if run else None, "link": link},
    )
    return evidence


@atomic_logging_refusals
def audit_submit(*, actor: User, audit: Audit) -> Audit:
    """Draft (or changes requested) → submitted. Locks the audit row."""
    locked = Audit.objects.select_for_update().get(pk=audit.pk)
    _require_author_editing(actor, locked, "audit.submit")
    if not locked.summary and not locked.findings.exists():
        raise ApplicationError(
            "Write a summary or record at least one finding before submitting.", fields={"summary": ["Empty audit."]}
        )
    before = snapshot(locked, _FIELDS)
    locked.status = Audit.Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submissions += 1
    locked.save(update_fields=["status", "submitted_at", "submissions", "updated_at"])
    audit_log_record(actor=actor, action="audit.submit", obj=locked, before=before, after=snapshot(locked, _FIELDS))
    conflicted = ConflictOfInterest.objects.filter(model_id=locked.model_id).values_list("user_id", flat=True)
    notify(
        recipients=holders_of(Role.AUDITOR).exclude(pk__in=conflicted).exclude(pk__in=locked.model.owners.values("pk")),
        kind="audit.submitted",
        message=gettext_noop("Audit #%(pk)s of %(model)s waits for a decision: %(title)s"),
        params={"pk": locked.pk, "model": locked.model.slug, "title": locked.title},
        topic=f"audit:{locked.pk}:decision",
        url=reverse("governance:audit", args=[locked.pk]),
        exclude=[actor],
    )
    return locked


def four_eyes_refusal(actor: User, audit: Audit) -> str | None:
    """Why `actor` may not decide `audit`, or None when they may."""
    if not user_has_role(actor, Role.AUDITOR):
        return "Only auditors decide audits."
    if audit.author_id == actor.pk:
        return "Four eyes: you wrote this audit, so another auditor must decide it."
    if audit.model.owners.filter(pk=actor.pk).exists():
        return "Four eyes: you own the audited model, so you cannot decide its audits."
    if ConflictOfInterest.objects.filter(model_id=audit.model_id, user=actor).exists():
        return "Four eyes: you declared a conflict of interest for this model."
    return None


def audit_decide(*, actor: User, audit: Audit, decision: str, note: str = "") -> Audit:
    """Submitted → accepted | rejected | changes requested, by a second auditor (four eyes; refusals logged).

    An accepted security audit with a critical finding suspends the certification of the audited version.
    """
    from governance.services.health import certification_suspend

    reason = four_eyes_refusal(actor, audit)
    if reason:
        raise refusal_logged(actor=actor, action="audit.decide", obj=audit, reason=reason, code="four_eyes")
    if decision not in DECISIONS:
        raise ApplicationError("Unknown decision.", fields={"decision": ["Choose accept, reject or changes."]})
    note = _check_text("note", note)
    if decision != "accept" and not note:
        raise ApplicationError(
            "Say why, so the author can act on it.", fields={"note": ["Required when rejecting or requesting changes."]}
        )
    with transaction.atomic():
        locked = Audit.objects.select_for_update().select_related("model").get(pk=audit.pk)
        if locked.status != Audit.Status.SUBMITTED:
            raise WrongState(
                f"Only a submitted audit can be decided; this one is {locked.get_status_display()}.", code="not_submitted"
            )
        before = snapshot(locked, _FIELDS)
        locked.status = DECISIONS[decision]
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        audit_log_record(actor=actor, action=f"audit.{decision}", obj=locked, before=before, after=snapshot(locked, _FIELDS))
        notifications_resolve(topic=f"audit:{locked.pk}:decision")
        with translation.override("en"):
            status = str(Audit.Status(locked.status).label)  # the msgid; translated for each reader
        notify(
            recipients=[locked.author],
            kind=f"audit.{decision}",
            message=gettext_noop("Your audit #%(pk)s was decided: %(status)s"),
            params={"pk": locked.pk, "status": status, "_translate": ["status"]},
            url=reverse("governance:audit", args=[locked.pk]),
        )
        if (
            locked.status == Audit.Status.ACCEPTED
            and locked.kind == Audit.Kind.SECURITY
            and locked.findings.filter(severity=Finding.Severity.CRITICAL).exists()
        ):
            certification_suspend(audit=locked)
    return locked


@transaction.atomic
def audit_comment_add(*, actor: User, audit: Audit, text: str) -> AuditComment:
    """Anyone who can see the audit may comment (auditors, the model's owners)."""
    comment = AuditComment.objects.create(audit=audit, author=actor, text=_check_text("text", text, required=True, limit=20_000))
    audit_log_record(actor=actor, action="audit.comment", obj=audit, after={"comment": comment.pk})
    return comment
