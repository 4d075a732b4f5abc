"""Curation reads. Released datasets are public; drafts and blocked versions only for curators and administrators
(their owner is one). Arbitration queues, PII scans and flags (which hold personal data) are for curators only."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.errors import NotAllowed, NotFound
from accounts.models import Role
from accounts.selectors import user_has_role
from curation.agreement import Agreement, agreement
from curation.models import Annotation, Dataset, DatasetItem, PiiFlag, PiiScan, PiiTerm, Ruling


def user_is_curator(user: Any) -> bool:
    return user_has_role(user, Role.CURATOR, Role.ADMINISTRATOR)


def require_curator(user: Any) -> None:
    """NotAllowed unless `user` curates; checked before any lookup, so it confirms no object exists."""
    if not user_is_curator(user):
        raise NotAllowed("Only curators and administrators can see this.", code="not_curator")


def _visible(user: Any) -> Q:
    return Q() if user_is_curator(user) else Q(state=Dataset.State.RELEASED)


def dataset_list_for_user(user: Any, *, owner_id: int | None = None) -> QuerySet[Dataset]:
    """The datasets `user` may see (curators every state, others released ones), with their item and flag counts."""
    datasets = Dataset.objects.filter(_visible(user)).select_related("owner")
    if owner_id is not None:
        datasets = datasets.filter(owner_id=owner_id)
    return datasets.order_by("slug", "-version").annotate(  # counted rows lose Meta.ordering; pages need one
        item_count=Count("items", filter=Q(items__removed=False), distinct=True),
        undecided_count=Count("items", filter=Q(items__removed=False, items__final_label=""), distinct=True),
        open_flag_count=Count(
            "pii_flags", filter=Q(pii_flags__status__in=[PiiFlag.Status.OPEN, PiiFlag.Status.TRUE_POSITIVE]), distinct=True
        ),
    )


def dataset_get_for_user(user: Any, slug: str, version: int | None = None) -> Dataset:
    """The latest version of `slug` that `user` may see (or the given version); otherwise NotFound."""
    candidates = Dataset.objects.filter(_visible(user), slug=slug).select_related("owner")
    if version is not None:
        candidates = candidates.filter(version=version)
    dataset = candidates.order_by("-version").first()
    if dataset is None:
        raise NotFound("No such dataset.")
    return dataset


def dataset_versions_for_user(user: Any, dataset: Dataset) -> QuerySet[Dataset]:
    """The versions of `dataset` that `user` may see, newest first."""
    return Dataset.objects.filter(_visible(user), slug=dataset.slug).select_related("owner").order_by("-version")


def dataset_items(dataset: Dataset) -> QuerySet[DatasetItem]:
    return DatasetItem.objects.filter(dataset=dataset, removed=False).prefetch_related("annotations")


def _ratings(dataset: Dataset) -> tuple[dict[int, dict[str, str]], dict[int, str]]:
    ratings: dict[int, dict[str, str]] = defaultdict(dict)
    for item_id, annotator, label in Annotation.objects.filter(item__dataset=dataset, item__removed=False).values_list(
        "item_id", "annotator", "label"
    ):
        ratings[item_id][annotator] = label
    ruled = dict(
        DatasetItem.objects.filter(dataset=dataset, removed=False, final_label_source=DatasetItem.Source.RULING).values_list(
            "pk", "final_label"
        )
    )
    return ratings, ruled


def dataset_agreement(dataset: Dataset) -> dict[str, Agreement]:
    """Agreement before rulings (the annotators' labels as uploaded) and after them (on a ruled item every
    annotation counts as the ruled label: the curator's decision settles the item). Two queries."""
    ratings, ruled = _ratings(dataset)
    before = [ratings[item_id] for item_id in sorted(ratings)]
    after = [
        dict.fromkeys(ratings[item_id], ruled[item_id]) if item_id in ruled else ratings[item_id] for item_id in sorted(ratings)
    ]
    return {"before": agreement(before), "after": agreement(after)}


def arbitration_queue(dataset: Dataset) -> QuerySet[DatasetItem]:
    """Items without a majority label and without a ruling yet, with their annotations."""
    return (
        DatasetItem.objects.filter(dataset=dataset, removed=False, final_label="")
        .prefetch_related(Prefetch("annotations", queryset=Annotation.objects.order_by("annotator")))
        .order_by("pk")
    )


def dataset_labels(dataset: Dataset) -> list[str]:
    """The dataset's label set: every label its annotators used, plus those a curator added."""
    used = set(Annotation.objects.filter(item__dataset=dataset).values_list("label", flat=True).distinct())
    return sorted(used | {str(label) for label in dataset.labels or []})


def item_get(dataset: Dataset, pk: int) -> DatasetItem:
    item = DatasetItem.objects.filter(dataset=dataset, pk=pk).select_related("dataset").first()
    if item is None:
        raise NotFound("No such item in this dataset.")
    return item


def ruling_list(dataset: Dataset) -> QuerySet[Ruling]:
    return Ruling.objects.filter(item__dataset=dataset).select_related("item", "curator")


def pii_scan_list(dataset: Dataset) -> QuerySet[PiiScan]:
    return PiiScan.objects.filter(dataset=dataset).select_related("started_by")


def pii_scan_get(dataset: Dataset, pk: int) -> PiiScan:
    scan = PiiScan.objects.filter(dataset=dataset, pk=pk).first()
    if scan is None:
        raise NotFound("No such scan of this dataset.")
    return scan


def pii_flag_list(dataset: Dataset, *, status: str = "") -> QuerySet[PiiFlag]:
    flags = PiiFlag.objects.filter(dataset=dataset).select_related("item", "reviewed_by")
    return flags.filter(status=status) if status else flags


def pii_flag_get(dataset: Dataset, pk: int) -> PiiFlag:
    flag = PiiFlag.objects.filter(dataset=dataset, pk=pk).select_related("item", "dataset").first()
    if flag is None:
        raise NotFound("No such flag on this dataset.")
    return flag


def pii_flag_context(flag: PiiFlag, width: int = 40) -> dict[str, str]:
    """The flagged span with some text either side, for showing it highlighted in place."""
    text = flag.item.text
    return {
        "before": ("…" if flag.start > width else "") + text[max(0, flag.start - width) : flag.start],
        "span": text[flag.start : flag.end],
        "after": text[flag.end : flag.end + width] + ("…" if flag.end + width < len(text) else ""),
    }


def pii_term_list() -> QuerySet[PiiTerm]:
    return PiiTerm.objects.select_related("added_by")


def pii_term_get(pk: int) -> PiiTerm:
    term = PiiTerm.objects.filter(pk=pk).first()
    if term is None:
        raise NotFound("No such term on the deny-list.")
    return term
