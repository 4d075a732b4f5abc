"""Curation writes: datasets and their versions, imports, rulings, PII scans and flags, release and block.

Curators and administrators do every write here. The audit log never receives the flagged personal data
itself, only where it was (item, offsets, kind).
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_log_record
from accounts.errors import ApplicationError, NotAllowed, WrongState
from accounts.models import User
from curation import pii
from curation.agreement import majority_label
from curation.dataset_upload import UploadedItem, format_of, parse_upload
from curation.models import Annotation, Dataset, DatasetItem, PiiFlag, PiiScan, PiiTerm, Ruling
from curation.selectors import dataset_labels, user_is_curator

SCAN_BATCH = 200


def _require_curator(actor: User) -> None:
    if not user_is_curator(actor):
        raise NotAllowed("Only curators and administrators change datasets.", code="not_curator")


def _require_draft(dataset: Dataset) -> None:
    if dataset.state != Dataset.State.DRAFT:
        raise WrongState(
            f"{dataset} is {dataset.get_state_display().lower()}; only a draft can change. Create a new version instead.",
            code="dataset_not_draft",
        )


def _text(value: str, name: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ApplicationError(f"Give the {name}.", fields={name: ["This field is required."]})
    if len(value) > max_length:
        raise ApplicationError(f"The {name} is too long.", fields={name: [f"At most {max_length} characters."]})
    return value


# --- datasets -----------------------------------------------------------------------------------------


@transaction.atomic
def dataset_create(*, actor: User, slug: str, licence: str, description: str = "") -> Dataset:
    """Version 1 of a new dataset, a draft owned by `actor`."""
    _require_curator(actor)
    slug = _text(slug, "slug", max_length=100)
    if Dataset.objects.filter(slug=slug).exists():
        raise ApplicationError(
            "A dataset with this slug exists; create a new version of it instead.", fields={"slug": ["Already taken."]}
        )
    dataset = Dataset.objects.create(
        slug=slug,
        owner=actor,
        licence=_text(licence, "licence", max_length=60),
        description=_text(description, "description", max_length=20_000, required=False),
    )
    audit_log_record(actor=actor, action="dataset.create", obj=dataset, after={"slug": slug, "version": 1})
    return dataset


@transaction.atomic
def dataset_version_create(
    *, actor: User, dataset: Dataset, licence: str | None = None, description: str | None = None
) -> Dataset:
    """The next version of `dataset` as a new, empty draft; earlier versions stay as they are (the history)."""
    _require_curator(actor)
    latest = Dataset.objects.select_for_update().filter(slug=dataset.slug).order_by("-version").first()
    assert latest is not None
    if latest.state == Dataset.State.DRAFT:
        raise WrongState(f"{latest} is still a draft: finish or block it first.", code="draft_exists")
    version = Dataset.objects.create(
        slug=latest.slug,
        version=latest.version + 1,
        owner=actor,
        licence=_text(latest.licence if licence is None else licence, "licence", max_length=60),
        description=_text(
            latest.description if description is None else description, "description", max_length=20_000, required=False
        ),
    )
    audit_log_record(
        actor=actor, action="dataset.version_create", obj=version, after={"previous": latest.pk, "version": version.version}
    )
    return version


def _store_items(dataset: Dataset, uploaded: list[UploadedItem]) -> None:
    items = DatasetItem.objects.bulk_create(
        [
            DatasetItem(
                dataset=dataset,
                key=entry.key,
                text=entry.text,
                final_label=majority_label(list(entry.annotations.values())) or "",
                final_label_source=DatasetItem.Source.MAJORITY
                if majority_label(list(entry.annotations.values()))
                else DatasetItem.Source.NONE,
            )
            for entry in uploaded
        ]
    )
    if items and items[0].pk is None:  # backends that do not return ids from bulk inserts
        by_key = dict(
            DatasetItem.objects.filter(dataset=dataset, key__in=[entry.key for entry in uploaded]).values_list("key", "pk")
        )
        for item in items:
            item.pk = by_key[item.key]
    annotations = [
        Annotation(item=item, annotator=annotator, label=label)
        for item, entry in zip(items, uploaded, strict=True)
        for annotator, label in entry.annotations.items()
    ]
    Annotation.objects.bulk_create(annotations, batch_size=1000)


@transaction.atomic
def dataset_import(*, actor: User, dataset: Dataset, raw: bytes, filename: str = "", fmt: str = "") -> dict[str, int]:
    """Adds the upload's items and annotations to a draft: all of them, or (on any error) none."""
    _require_curator(actor)
    fmt = format_of(filename, fmt)
    uploaded = parse_upload(
        raw, fmt=fmt, max_items=settings.CURATION_UPLOAD_MAX_ITEMS, max_chars=settings.CURATION_ITEM_MAX_CHARS
    )
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_draft(dataset)
    existing = set(
        DatasetItem.objects.filter(dataset=dataset, key__in=[entry.key for entry in uploaded]).values_list("key", flat=True)
    )
    if existing:
        shown = ", ".join(sorted(existing)[:10])
        raise ApplicationError(
            "Some items are already in this dataset; nothing was imported.",
            code="invalid_upload",
            fields={"file": [f"Items already present: {shown}."]},
        )
    _store_items(dataset, uploaded)
    counts = {"items": len(uploaded), "annotations": sum(len(entry.annotations) for entry in uploaded)}
    audit_log_record(actor=actor, action="dataset.import", obj=dataset, after={**counts, "format": fmt})
    return counts


@transaction.atomic
def ruling_create(*, actor: User, item: DatasetItem, label: str, reason: str) -> Ruling:
    """A curator's final label for an item, with the reason; it replaces any earlier ruling or majority."""
    _require_curator(actor)
    label = _text(label, "label", max_length=100)
    reason = _text(reason, "reason", max_length=5000)
    item = DatasetItem.objects.select_for_update().select_related("dataset").get(pk=item.pk)
    _require_draft(item.dataset)
    if item.removed:
        raise WrongState("This item was removed from the dataset.", code="item_removed")
    labels = dataset_labels(item.dataset)
    if label not in labels:
        raise ApplicationError(
            f"{label!r} is not one of this dataset's labels; add it to the label set first.",
            code="unknown_label",
            fields={"label": [f"Choose one of: {', '.join(labels)}."]},
        )
    before = {"final_label": item.final_label, "source": item.final_label_source}
    ruling = Ruling.objects.create(item=item, curator=actor, label=label, reason=reason)
    item.final_label = label
    item.final_label_source = DatasetItem.Source.RULING
    item.save(update_fields=["final_label", "final_label_source", "updated_at"])
    audit_log_record(
        actor=actor,
        action="dataset.ruling",
        obj=item,
        before=before,
        after={"final_label": label, "source": "ruling", "reason": reason},
    )
    return ruling


@transaction.atomic
def dataset_label_add(*, actor: User, dataset: Dataset, label: str) -> Dataset:
    """Adds a label to a draft's label set (a ruling may then use it); logged. An existing label is refused."""
    _require_curator(actor)
    label = _text(label, "label", max_length=100)
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_draft(dataset)
    before = dataset_labels(dataset)
    if label in before:
        raise ApplicationError(
            f"{label!r} is already a label of this dataset.", code="label_exists", fields={"label": ["Already in the label set."]}
        )
    dataset.labels = [*(dataset.labels or []), label]
    dataset.save(update_fields=["labels", "updated_at"])
    audit_log_record(
        actor=actor, action="dataset.label_add", obj=dataset, before={"labels": before}, after={"labels": dataset_labels(dataset)}
    )
    return dataset


@transaction.atomic
def dataset_release(*, actor: User, dataset: Dataset) -> Dataset:
    """Releases a draft. Refused (409, with the reason) while items are unscanned, flags are unreviewed or
    true positives are unresolved, or items still wait for arbitration."""
    _require_curator(actor)
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_draft(dataset)
    items = DatasetItem.objects.filter(dataset=dataset, removed=False)
    if not items.exists():
        raise WrongState("The dataset has no items to release.", code="dataset_empty")
    unscanned = items.filter(scanned_at__isnull=True).count()
    if unscanned:
        raise WrongState(
            f"{unscanned} items have not been scanned for personal data: run a PII scan first.", code="pii_unscanned"
        )
    blocking = Counter(
        PiiFlag.objects.filter(dataset=dataset, status__in=[PiiFlag.Status.OPEN, PiiFlag.Status.TRUE_POSITIVE]).values_list(
            "status", flat=True
        )
    )
    if blocking:
        raise WrongState(
            f"Personal data is not cleared: {blocking[PiiFlag.Status.OPEN]} flags not reviewed, "
            f"{blocking[PiiFlag.Status.TRUE_POSITIVE]} true positives not redacted or removed.",
            code="pii_open",
        )
    undecided = items.filter(final_label="").count()
    if undecided:
        raise WrongState(f"{undecided} items still wait for arbitration.", code="arbitration_open")
    dataset.state = Dataset.State.RELEASED
    dataset.released_at = timezone.now()
    dataset.state_reason = ""
    dataset.save(update_fields=["state", "released_at", "state_reason", "updated_at"])
    audit_log_record(actor=actor, action="dataset.release", obj=dataset, before={"state": "draft"}, after={"state": "released"})
    return dataset


@transaction.atomic
def dataset_block(*, actor: User, dataset: Dataset, reason: str) -> Dataset:
    """Blocks a draft's release for good (a fixed dataset comes back as a new version)."""
    _require_curator(actor)
    reason = _text(reason, "reason", max_length=5000)
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_draft(dataset)
    dataset.state = Dataset.State.BLOCKED
    dataset.state_reason = reason
    dataset.save(update_fields=["state", "state_reason", "updated_at"])
    audit_log_record(
        actor=actor, action="dataset.block", obj=dataset, before={"state": "draft"}, after={"state": "blocked", "reason": reason}
    )
    return dataset


# --- PII: deny-list, scans, flags ----------------------------------------------------------------------


@transaction.atomic
def pii_term_add(*, actor: User, term: str) -> PiiTerm:
    _require_curator(actor)
    term = _text(term, "term", max_length=100)
    if len(term) < 2:
        raise ApplicationError("A term needs at least two characters.", fields={"term": ["At least two characters."]})
    if PiiTerm.objects.filter(term__iexact=term).exists():
        raise ApplicationError("This term is already on the deny-list.", fields={"term": ["Already listed."]})
    entry = PiiTerm.objects.create(term=term, added_by=actor)
    audit_log_record(actor=actor, action="pii_term.add", obj=entry, after={"term": term})
    return entry


@transaction.atomic
def pii_term_remove(*, actor: User, term: PiiTerm) -> None:
    _require_curator(actor)
    audit_log_record(actor=actor, action="pii_term.remove", obj=term, before={"term": term.term})
    term.delete()


@transaction.atomic
def pii_scan_start(*, actor: User, dataset: Dataset) -> PiiScan:
    """Queues a scan of the draft's item texts (after commit); one scan at a time per dataset."""
    _require_curator(actor)
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_draft(dataset)
    if PiiScan.objects.filter(dataset=dataset, status__in=[PiiScan.Status.QUEUED, PiiScan.Status.RUNNING]).exists():
        raise WrongState("A scan of this dataset is already queued or running.", code="scan_running")
    total = DatasetItem.objects.filter(dataset=dataset, removed=False).count()
    scan = PiiScan.objects.create(dataset=dataset, started_by=actor, items_total=total)
    audit_log_record(actor=actor, action="pii_scan.start", obj=scan, after={"dataset": dataset.pk, "items": total})
    transaction.on_commit(lambda: _send_scan(scan.pk))
    return scan


def _send_scan(scan_id: int) -> None:
    from curation.tasks import pii_scan_execute

    pii_scan_execute.delay(scan_id)


def pii_scan_execute(*, scan_id: int) -> str:
    """Runs a queued scan; a second delivery of the same message finds it claimed and does nothing.

    Not one transaction: each batch of items commits on its own, so the page can show progress; flags
    are unique per span, so a batch scanned twice (after a crash) adds nothing.
    """
    now = timezone.now()
    if not PiiScan.objects.filter(pk=scan_id, status=PiiScan.Status.QUEUED).update(status=PiiScan.Status.RUNNING, started_at=now):
        return "already claimed"
    scan = PiiScan.objects.select_related("dataset").get(pk=scan_id)
    try:
        terms = list(PiiTerm.objects.values_list("term", flat=True))
        ids = list(DatasetItem.objects.filter(dataset=scan.dataset, removed=False).order_by("pk").values_list("pk", flat=True))
        PiiScan.objects.filter(pk=scan_id).update(items_total=len(ids), items_done=0)
        for offset in range(0, len(ids), SCAN_BATCH):
            batch = ids[offset : offset + SCAN_BATCH]
            with transaction.atomic():
                items = list(DatasetItem.objects.filter(pk__in=batch, removed=False).only("pk", "text"))
                flags = [
                    PiiFlag(
                        dataset_id=scan.dataset_id,
                        item_id=item.pk,
                        scan=scan,
                        start=span.start,
                        end=span.end,
                        kind=span.kind,
                        text=span.text[:500],
                    )
                    for item in items
                    for span in pii.find_pii(item.text, terms)
                ]
                PiiFlag.objects.bulk_create(flags, ignore_conflicts=True)
                DatasetItem.objects.filter(pk__in=batch).update(scanned_at=timezone.now())
                PiiScan.objects.filter(pk=scan_id).update(items_done=offset + len(batch))
    except Exception as error:  # noqa: BLE001 — the scan ends as failed with its reason; the worker lives on
        PiiScan.objects.filter(pk=scan_id).update(
            status=PiiScan.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        audit_log_record(actor=None, action="pii_scan.fail", obj=scan, after={"error": str(error)[:200]})
        return "failed"
    found = PiiFlag.objects.filter(scan_id=scan_id).count()
    PiiScan.objects.filter(pk=scan_id).update(status=PiiScan.Status.SUCCEEDED, finished_at=timezone.now(), flags_found=found)
    audit_log_record(actor=None, action="pii_scan.finish", obj=scan, after={"items": len(ids), "new_flags": found})
    return "succeeded"


VERDICTS = {"true_positive": PiiFlag.Status.TRUE_POSITIVE, "false_positive": PiiFlag.Status.FALSE_POSITIVE}


@transaction.atomic
def pii_flag_review(*, actor: User, flag: PiiFlag, verdict: str) -> PiiFlag:
    """Marks a flag as a true or false positive (it can be changed until a true positive is resolved)."""
    _require_curator(actor)
    if verdict not in VERDICTS:
        raise ApplicationError(
            "Choose true_positive or false_positive.", fields={"verdict": ["Must be true_positive or false_positive."]}
        )
    flag = PiiFlag.objects.select_for_update().select_related("dataset").get(pk=flag.pk)
    _require_draft(flag.dataset)
    if flag.status == PiiFlag.Status.RESOLVED:
        raise WrongState("This flag is already resolved.", code="flag_resolved")
    before = {"status": flag.status}
    flag.status = VERDICTS[verdict]
    flag.reviewed_by = actor
    flag.reviewed_at = timezone.now()
    flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    audit_log_record(
        actor=actor,
        action="pii_flag.review",
        obj=flag,
        before=before,
        after={"status": flag.status, "kind": flag.kind, "item": flag.item_id},
    )
    return flag


RESOLUTIONS = ("redact", "remove")


@transaction.atomic
def pii_flag_resolve(*, actor: User, flag: PiiFlag, action: str) -> PiiFlag:
    """Resolves a true positive: `redact` masks the span in the item's text (same length, so other flags keep
    their place), `remove` takes the whole item out of the dataset. Flags covered by the change resolve too."""
    _require_curator(actor)
    if action not in RESOLUTIONS:
        raise ApplicationError("Choose redact or remove.", fields={"action": ["Must be redact or remove."]})
    flag = PiiFlag.objects.select_for_update().select_related("dataset", "item").get(pk=flag.pk)
    _require_draft(flag.dataset)
    if flag.status != PiiFlag.Status.TRUE_POSITIVE:
        raise WrongState("Only a flag marked as a true positive is resolved; mark it first.", code="flag_not_true_positive")
    item = DatasetItem.objects.select_for_update().get(pk=flag.item_id)
    covered = PiiFlag.objects.filter(item=item).exclude(status__in=[PiiFlag.Status.RESOLVED, PiiFlag.Status.FALSE_POSITIVE])
    if action == "redact":
        item.text = pii.redact(item.text, flag.start, flag.end)
        item.save(update_fields=["text", "updated_at"])
        covered = covered.filter(start__gte=flag.start, end__lte=flag.end)
        resolution = PiiFlag.Resolution.REDACTED
    else:
        item.removed = True
        item.save(update_fields=["removed", "updated_at"])
        resolution = PiiFlag.Resolution.REMOVED
    now = timezone.now()
    covered.update(status=PiiFlag.Status.RESOLVED, resolution=resolution, reviewed_by=actor, reviewed_at=now, updated_at=now)
    flag.refresh_from_db()
    audit_log_record(
        actor=actor,
        action=f"pii_flag.{action}",
        obj=flag,
        before={"status": "true_positive"},
        after={"status": "resolved", "resolution": resolution, "item": item.pk, "start": flag.start, "end": flag.end},
    )
    return flag
