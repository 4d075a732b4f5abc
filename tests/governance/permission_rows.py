"""Permission-matrix rows for the registry, audits, health and sponsorship routes.

The world: a model owned by the maintainer, certified; a submitted audit of it written by the auditor; a
pending community value submitted by the auditor; an open quarter and a frozen one. State-changing requests
get fresh objects, so one visitor's request never changes the next one's answer.
"""

from __future__ import annotations

import itertools
from typing import Any

from accounts.models import Role
from governance.models import Audit, Evaluation
from governance.services.audits import audit_create, audit_submit
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open
from tests.governance.factories import certify, register

VISITORS: dict[str, list[str]] = {"other_auditor": [Role.AUDITOR]}
_labels = (f"{year}Q{quarter}" for year, quarter in itertools.product(range(2030, 2999), range(1, 5)))

SIGNED_IN = {"anonymous": 302, "*": 200}
PUBLIC = {"*": 200}
STEWARDS_PAGE = {"anonymous": 302, "steward": 200, "administrator": 200, "*": 403}
# Who sees the submitted audit: its author, other auditors, stewards, the model's owner, administrators.
SEES_AUDIT = {"auditor", "other_auditor", "steward", "maintainer", "administrator"}


def _audit_row(seen: int | dict[str, int], unseen: int, anonymous: int) -> dict[str, int]:
    row = {"anonymous": anonymous, "*": unseen}
    row.update({name: seen if isinstance(seen, int) else seen.get(name, seen["*"]) for name in SEES_AUDIT})
    return row


ROUTES: dict[str, dict[str, dict[str, int]]] = {
    # Registry pages
    "models/": {"GET": PUBLIC},
    "models/new/": {"GET": SIGNED_IN},
    "models/<slug:slug>/": {"GET": PUBLIC},
    "models/<slug:slug>/versions/new/": {"POST": {"anonymous": 302, "maintainer": 400, "administrator": 400, "*": 403}},
    "models/<slug:slug>/conflicts/": {"POST": {"anonymous": 302, "auditor": 400, "other_auditor": 400, "*": 403}},
    # Health pages and the badge
    "health/": {"GET": PUBLIC},
    "health/<slug:slug>/": {"GET": PUBLIC},
    "health/evidence/<int:pk>/": {"GET": PUBLIC},
    "health/<slug:slug>/evaluations/": {"POST": {"anonymous": 302, "auditor": 400, "other_auditor": 400, "*": 403}},
    # stewards and the model's owner (the maintainer) may start; the matrix's catalogue lacks the notebooks: 409
    "health/<slug:slug>/evaluations/start/": {
        "POST": {"anonymous": 302, "steward": 409, "administrator": 409, "maintainer": 409, "*": 403}
    },
    # the matrix's catalogue has no v2 evaluation notebooks: stewards get the 409 that names them
    "health/reevaluations/start/": {"POST": {"anonymous": 302, "steward": 409, "administrator": 409, "*": 403}},
    "health/reevaluations/<int:pk>/": {"GET": {"anonymous": 302, "steward": 200, "administrator": 200, "*": 403}},
    "api/v1/health/reevaluations/<int:pk>/": {"GET": {"anonymous": 401, "steward": 200, "administrator": 200, "*": 403}},
    "badges/models/<slug:slug>.svg": {"GET": PUBLIC},
    # Owners: My models (every signed-in person; an owner of none sees an empty page), the public feed
    "me/models/": {"GET": {"anonymous": 302, "*": 200}},
    "models/<slug:slug>/certifications.atom": {"GET": PUBLIC},
    "api/v1/me/models/": {"GET": {"anonymous": 401, "*": 200}},
    # one owned model: the maintainer owns the matrix model; to anyone else it is not found
    "api/v1/me/models/<slug:slug>/": {"GET": {"anonymous": 401, "maintainer": 200, "*": 404}},
    # Audit pages
    "audits/": {"GET": SIGNED_IN},
    "audits/new/": {"POST": {"anonymous": 302, "auditor": 400, "other_auditor": 400, "*": 403}},
    "audits/<int:pk>/": {"GET": _audit_row(200, 404, 302)},
    "audits/<int:pk>/edit/": {"POST": _audit_row({"auditor": 409, "*": 403}, 404, 302)},
    "audits/<int:pk>/findings/": {"POST": _audit_row({"auditor": 409, "*": 403}, 404, 302)},
    "audits/<int:pk>/evidence/": {"POST": _audit_row({"auditor": 409, "*": 403}, 404, 302)},
    "audits/<int:pk>/submit/": {"POST": _audit_row({"auditor": 409, "*": 403}, 404, 302)},
    "audits/<int:pk>/decide/": {"POST": _audit_row({"other_auditor": 400, "*": 403}, 404, 302)},
    "audits/<int:pk>/comments/": {"POST": _audit_row(400, 404, 302)},
    "audits/values/<int:pk>/review/": {"POST": {"anonymous": 302, "auditor": 403, "other_auditor": 302, "*": 403}},
    # Sponsorship pages
    "sponsorship/": {"GET": STEWARDS_PAGE},
    "sponsorship/quarters/new/": {"POST": {"anonymous": 302, "steward": 400, "administrator": 400, "*": 403}},
    "sponsorship/quarters/<str:label>/": {"GET": STEWARDS_PAGE},
    "sponsorship/quarters/<str:label>/compute/": {"POST": {"anonymous": 302, "steward": 302, "administrator": 302, "*": 403}},
    # An empty POST is an unconfirmed freeze: refused, 400 naming confirm_label (the page asks for the label typed).
    "sponsorship/quarters/<str:label>/freeze/": {"POST": {"anonymous": 302, "steward": 400, "administrator": 400, "*": 403}},
    "sponsorship/verify/": {"GET": PUBLIC, "POST": PUBLIC},
    # API: registry and health
    "api/v1/models/": {"GET": PUBLIC, "POST": {"anonymous": 401, "*": 400}},
    "api/v1/models/<slug:slug>/": {"GET": PUBLIC},
    "api/v1/models/<slug:slug>/versions/": {"POST": {"anonymous": 401, "maintainer": 400, "administrator": 400, "*": 403}},
    "api/v1/models/<slug:slug>/conflicts/": {"POST": {"anonymous": 401, "*": 400}},
    "api/v1/models/<slug:slug>/health/": {"GET": PUBLIC},
    "api/v1/models/<slug:slug>/evaluations/": {"GET": PUBLIC, "POST": {"anonymous": 401, "*": 400}},
    "api/v1/models/<slug:slug>/evaluation-runs/": {
        "POST": {"anonymous": 401, "steward": 409, "administrator": 409, "maintainer": 409, "*": 403}
    },
    "api/v1/evaluations/<int:pk>/review/": {"POST": {"anonymous": 401, "*": 400}},
    # API: audits
    "api/v1/audits/": {"GET": {"anonymous": 401, "*": 200}, "POST": {"anonymous": 401, "*": 400}},
    "api/v1/audits/<int:pk>/": {"GET": _audit_row(200, 404, 401)},
    "api/v1/audits/<int:pk>/submit/": {"POST": _audit_row({"auditor": 409, "*": 403}, 404, 401)},
    "api/v1/audits/<int:pk>/decide/": {"POST": _audit_row({"other_auditor": 400, "*": 403}, 404, 401)},
    "api/v1/audits/<int:pk>/findings/": {"POST": _audit_row(400, 404, 401)},
    "api/v1/audits/<int:pk>/evidence/": {"POST": _audit_row({"auditor": 409, "*": 403}, 404, 401)},
    "api/v1/audits/<int:pk>/comments/": {"POST": _audit_row(400, 404, 401)},
    # API: sponsorship (the open quarter is the stewards'; the manifest route is asked for the frozen one)
    "api/v1/sponsorship/quarters/": {"GET": PUBLIC, "POST": {"anonymous": 401, "*": 400}},
    "api/v1/sponsorship/quarters/<str:label>/": {"GET": {"steward": 200, "administrator": 200, "*": 404}},
    "api/v1/sponsorship/quarters/<str:label>/compute/": {
        "POST": {"anonymous": 401, "steward": 200, "administrator": 200, "*": 404}
    },
    "api/v1/sponsorship/quarters/<str:label>/freeze/": {
        "POST": {"anonymous": 401, "steward": 200, "administrator": 200, "*": 404}
    },
    "api/v1/sponsorship/quarters/<str:label>/allocations/": {"GET": {"steward": 200, "administrator": 200, "*": 404}},
    "api/v1/sponsorship/quarters/<str:label>/allocations.csv": {"GET": {"steward": 200, "administrator": 200, "*": 404}},
    "api/v1/sponsorship/quarters/<str:label>/manifest.json": {"GET": PUBLIC},
    "api/v1/sponsorship/quarters/<str:label>/verification/": {"GET": PUBLIC},
    "api/v1/sponsorship/quarters/<str:label>/attestation.json": {"GET": PUBLIC},
    "api/v1/certifications/<int:pk>/attestation.json": {"GET": PUBLIC},
    "api/v1/attestations/public-key/": {"GET": PUBLIC},
    "api/v1/sponsorship/quarters/<str:label>/payouts/github-sponsors.csv": {"GET": {"*": 409}},  # CNY sealed without a rate
    "api/v1/sponsorship/quarters/<str:label>/payouts/open-collective.csv": {"GET": PUBLIC},
    "api/v1/sponsorship/quarters/<str:label>/payouts/blocked.csv": {"GET": PUBLIC},
}


def _submitted_audit(world: dict[str, Any]) -> Audit:
    audit = audit_create(actor=world["author"], model=world["model"], kind="security", title="Matrix", summary="Checked")
    return audit_submit(actor=world["author"], audit=audit)


def _evaluation_with_evidence(world: dict[str, Any]) -> Evaluation:
    from tests.governance.factories import counted

    return counted(world["model"].current_version, "energy", 0.02, evidence=b"codecarbon log")


def _open_quarter(world: dict[str, Any], *, computed: bool = True) -> str:
    label = next(_labels)
    quarter_open(actor=world["steward"], label=label, pool_minor_units=1_000, currency="CNY")
    if computed:
        quarter_compute(actor=world["steward"], label=label)
    return label


def world(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from django.conf import settings

    settings.MEDIA_ROOT = settings.DATA_DIR / "test-media-matrix"
    model = register(users["maintainer"], "matrix-model")
    assert model.current_version is not None
    certify(model.current_version)
    state: dict[str, Any] = {"model": model, "author": users["auditor"], "steward": users["steward"]}
    state["audit"] = _submitted_audit(state)
    state["quarter"] = _open_quarter(state)
    state["frozen"] = _open_quarter(state)
    quarter_freeze(actor=users["steward"], label=state["frozen"])
    return state


def url(route: str, world: dict[str, Any], visitor: str, make_user: Any) -> str | None:
    if route.startswith(("api/v1/models/", "api/v1/me/models/", "models/", "health/", "badges/")) and "<slug:slug>" in route:
        return "/" + route.replace("<slug:slug>", world["model"].slug)
    if route == "api/v1/certifications/<int:pk>/attestation.json":
        return "/" + route.replace("<int:pk>", str(world["model"].certifications.first().pk))
    if route == "health/evidence/<int:pk>/":
        return "/" + route.replace("<int:pk>", str(_evaluation_with_evidence(world).pk))
    if "<int:pk>" in route and "review" in route:
        from tests.governance.factories import counted

        evaluation = counted(
            world["model"].current_version, "energy", 0.02, status=Evaluation.Status.PENDING, submitted_by=world["author"]
        )
        return "/" + route.replace("<int:pk>", str(evaluation.pk))
    if "<int:pk>" in route and "reevaluations" in route:
        from governance.models import Reevaluation

        batch = Reevaluation.objects.create(methodology_version="v2", requested_by=world["steward"])
        return "/" + route.replace("<int:pk>", str(batch.pk))
    if "<int:pk>" in route and "audits" in route:
        audit = world["audit"] if route.endswith("<int:pk>/") else _submitted_audit(world)
        return "/" + route.replace("<int:pk>", str(audit.pk))
    if "<str:label>" in route:
        if route.endswith(("manifest.json", "verification/", "attestation.json")) or "/payouts/" in route:
            label = world["frozen"]
        elif route.endswith(("compute/", "freeze/")):
            label = _open_quarter(world)
        else:
            label = world["quarter"]
        return "/" + route.replace("<str:label>", label)
    return None
