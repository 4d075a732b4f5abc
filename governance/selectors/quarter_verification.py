"""Verifying a frozen quarter: what `manage.py verify_quarter`, the public verification page and the API check.

Read-only. Each check has a name, a verdict and a sentence; a quarter verifies when every check passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from accounts.errors import WrongState
from governance import sponsorship_rules
from governance.models import Certification, Quarter
from governance.selectors import quarter_evidence

MAX_MANIFEST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    ok: bool
    detail: str


@dataclass
class Report:
    label: str
    sha256: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def add(self, name: str, title: str, problems: list[str], success: str) -> None:
        self.checks.append(Check(name, title, not problems, "; ".join(problems[:5]) if problems else success))


def manifest_file_bytes(quarter: Quarter) -> bytes:
    """The bytes `manifest.json` downloads as: the canonical manifest without its `sha256`, i.e. exactly what is hashed."""
    if not quarter.frozen or not isinstance(quarter.manifest, dict):
        raise WrongState(
            _("Quarter %(label)s is not frozen: it has no sealed manifest yet.") % {"label": quarter.label}, code="not_frozen"
        )
    return sponsorship_rules.manifest_bytes({k: v for k, v in quarter.manifest.items() if k != "sha256"})


def stored_allocations_problems(quarter: Quarter) -> list[str]:
    """Where the allocation rows and totals the pages show differ from the sealed manifest ([] when they agree)."""
    manifest = quarter.manifest if isinstance(quarter.manifest, dict) else {}
    problems = []
    rows = dict(quarter.allocations.values_list("model_slug", "amount_minor_units"))
    if rows != manifest.get("allocations"):
        problems.append(_("the allocation rows differ from the manifest's allocations"))
    for name in ("pool_minor_units", "allocated_minor_units", "unallocated_minor_units"):
        if getattr(quarter, name) != manifest.get(name):
            problems.append(_("the quarter's %(field)s differs from the manifest's") % {"field": name})
    return problems


def _evidence_problems(manifest: dict[str, object]) -> list[str]:
    models = manifest.get("models")
    if not isinstance(models, dict):
        return [_("the manifest has no per-model evidence (sealed before manifest version 2)")]
    certification_ids = []
    for entry in models.values():
        certification = entry.get("certification") if isinstance(entry, dict) else None
        if isinstance(certification, dict):
            certification_ids.append(certification.get("id"))
    now = quarter_evidence.models_record(Certification.objects.filter(pk__in=certification_ids))
    problems = []
    for slug, sealed in sorted(models.items()):
        current = now.get(slug)
        if current is None:
            problems.append(_("%(model)s: its certification is gone from the database") % {"model": slug})
        elif current != sealed:
            changed = sorted(key for key in set(current) | set(sealed) if current.get(key) != sealed.get(key))
            problems.append(_("%(model)s: %(fields)s differ from the seal") % {"model": slug, "fields": ", ".join(changed)})
    return problems


def quarter_verify(quarter: Quarter, *, file: bytes | None = None) -> Report:
    """Checks a frozen quarter: its manifest against its hash and the rule, the rows the pages show against the
    manifest, the evaluations and evidence files in the database against the seal, and, when given, a downloaded
    `manifest.json` against the published SHA-256. Raises WrongState (409) for an open quarter."""
    data = manifest_file_bytes(quarter)
    report = Report(label=quarter.label, sha256=quarter.manifest_sha256)
    assert isinstance(quarter.manifest, dict)
    report.add(
        "manifest",
        _("Manifest, hash and rule"),
        sponsorship_rules.verify_file(data, quarter.manifest_sha256),
        _("The manifest hashes to the published SHA-256 and its allocations follow from the rule."),
    )
    report.add(
        "allocations",
        _("Rows shown"),
        stored_allocations_problems(quarter),
        _("The allocation rows and totals shown are the manifest's."),
    )
    report.add(
        "evidence",
        _("Evidence behind the payout"),
        _evidence_problems(quarter.manifest),
        _("Every certification, evaluation and evidence file in the database still matches the seal."),
    )
    if file is not None:
        report.add(
            "file",
            _("Your file"),
            sponsorship_rules.verify_file(file, quarter.manifest_sha256),
            _("The file is byte for byte the sealed manifest."),
        )
    return report
