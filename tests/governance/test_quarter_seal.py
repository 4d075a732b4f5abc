"""The seal covers what pays, freeze seals what was just computed, and the database refuses every path around it
(issue #15 items 1–4). Runs on SQLite and, in bin/test's second pass, on PostgreSQL."""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.models import Role
from governance import sponsorship_rules
from governance.db_guards import expected_guards, install_quarter_guards, installed_guards, remove_quarter_guards
from governance.methodology import VERSION
from governance.models import Allocation, Certification, Evaluation, Quarter
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open, quarter_update
from governance.views.sponsorship import VERIFICATION_SCRIPT
from tests.conftest import assert_error
from tests.governance.factories import certify, counted, register

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def steward(make_user):
    return make_user(Role.STEWARD, username="stew")


@pytest.fixture
def models(make_user):
    owner = make_user(Role.CURATOR, username="owner-a")
    made = []
    for index in range(3):
        model = register(owner, f"m{index}")
        certify(model.current_version)
        made.append(model)
    return made


def _freeze(steward, pool=1_001):
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=pool, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")
    return quarter_freeze(actor=steward, label="2026Q4")


def _evidence_model(make_user):
    """A certified model whose energy value carries an evidence file."""
    owner = make_user(Role.CURATOR, username="owner-e")
    model = register(owner, "evidenced")
    version = model.current_version
    counted(version, "robustness", 1)
    counted(version, "explainability", 90)
    evaluation = counted(version, "energy", 0.02, evidence=b"codecarbon: 0.02 g")
    from governance.services.health import certification_refresh

    certification_refresh(version=version)
    return model, evaluation


# --- item 1: what the seal covers -------------------------------------------------------------------------------


def test_the_manifest_names_every_model_certification_evaluation_and_evidence_hash(models, steward, make_user):
    model, evaluation = _evidence_model(make_user)
    quarter = _freeze(steward)
    manifest = quarter.manifest

    assert manifest["period"] == {"start": "2026-10-01", "end": "2026-12-31"}
    assert manifest["rule_version"] == sponsorship_rules.RULE_VERSION and manifest["manifest_version"] == 2
    assert manifest["computed_at"] and manifest["frozen_at"] and manifest["computed_at"] <= manifest["frozen_at"]
    record = manifest["models"]["evidenced"]
    certification = Certification.objects.get(version=model.current_version)
    assert record["version"] == "1.0.0" and record["owners"] == ["owner-e"] and record["payout_identity"] is None
    assert record["certification"]["id"] == certification.pk and record["certification"]["expires_at"].endswith("Z")
    energy = next(item for item in record["evaluations"] if item["dimension"] == "energy")
    assert (
        energy["id"] == evaluation.pk
        and energy["value"] == "0.020000"
        and energy["methodology_version"] == evaluation.methodology_version == VERSION
    )
    assert energy["evidence"] == "evidence file"
    assert energy["evidence_sha256"] == hashlib.sha256(b"codecarbon: 0.02 g").hexdigest()
    assert sorted(item["id"] for item in record["evaluations"]) == manifest["eligible"]["evidenced"]


def test_a_manifest_whose_models_do_not_match_eligible_does_not_verify(models, steward):
    manifest = _freeze(steward).manifest
    unsealed = {k: v for k, v in manifest.items() if k != "sha256"}
    dropped = dict(unsealed["models"])
    dropped.pop("m0")

    assert sponsorship_rules.verify(manifest)
    assert not sponsorship_rules.verify(sponsorship_rules.seal({**unsealed, "models": dropped}))


# --- item 2: verify with nothing but Python --------------------------------------------------------------------


def test_the_download_is_the_hashed_bytes_and_the_published_script_verifies_it(api, models, steward, tmp_path):
    quarter = _freeze(steward)
    response = api(None).get("/api/v1/sponsorship/quarters/2026Q4/manifest.json")
    path = tmp_path / "manifest.json"
    path.write_bytes(response.content)

    assert hashlib.sha256(response.content).hexdigest() == quarter.manifest_sha256 == response["X-Manifest-SHA256"]
    script = tmp_path / "verify.py"
    script.write_text(VERIFICATION_SCRIPT)
    done = subprocess.run([sys.executable, "-I", str(script), str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"SHA-256 {quarter.manifest_sha256}" in done.stdout and "allocations follow from the rule" in done.stdout
    # The same script is the README's.
    assert VERIFICATION_SCRIPT.strip() in (ROOT / "README.md").read_text()

    tampered = json.loads(response.content)
    tampered["allocations"]["m0"] += 1
    path.write_bytes(sponsorship_rules.manifest_bytes(tampered))
    done = subprocess.run([sys.executable, "-I", str(script), str(path)], capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "AssertionError" in done.stderr


def test_verify_quarter_passes_from_the_database_and_a_file_and_fails_on_a_changed_evidence_file(
    models, steward, make_user, tmp_path, capsys
):
    _model, evaluation = _evidence_model(make_user)
    quarter = _freeze(steward)
    path = tmp_path / "manifest.json"
    path.write_bytes(sponsorship_rules.manifest_bytes({k: v for k, v in quarter.manifest.items() if k != "sha256"}))

    call_command("verify_quarter", "2026Q4", "--file", str(path))
    assert "2026Q4: verified" in capsys.readouterr().out
    call_command("verify_quarter", "2026Q4", "--file", str(path), "--sha256", quarter.manifest_sha256)
    assert "verified (file only)" in capsys.readouterr().out

    with default_storage.open(evaluation.evidence_file.name, "wb") as handle:  # the evidence swapped on disk
        handle.write(b"codecarbon: 0.01 g")
    with pytest.raises(CommandError, match="NOT verified"):
        call_command("verify_quarter", "2026Q4")
    assert "evidenced: evaluations differ from the seal" in capsys.readouterr().out


def test_bad_input_to_verify_quarter_is_a_clear_error_and_changes_nothing(models, steward, tmp_path, capsys):
    quarter = _freeze(steward)
    before = (quarter.manifest_sha256, list(Allocation.objects.values_list("amount_minor_units", flat=True)))
    tampered = tmp_path / "tampered.json"
    body = {k: v for k, v in quarter.manifest.items() if k != "sha256"}
    tampered.write_bytes(sponsorship_rules.manifest_bytes({**body, "pool_minor_units": 9}))

    with pytest.raises(CommandError, match="No quarter 2031Q1"):
        call_command("verify_quarter", "2031Q1")
    with pytest.raises(CommandError, match="NOT verified"):
        call_command("verify_quarter", "2026Q4", "--file", str(tampered))
    assert "FAIL file: the file's SHA-256 is" in capsys.readouterr().out
    with pytest.raises(CommandError, match="cannot read"):
        call_command("verify_quarter", "2026Q4", "--file", str(tmp_path / "missing.json"))
    quarter.refresh_from_db()
    assert (quarter.manifest_sha256, list(Allocation.objects.values_list("amount_minor_units", flat=True))) == before


def test_the_public_verification_page_and_api(client, api, models, steward):
    quarter = _freeze(steward)
    page = client.get("/sponsorship/verify/?quarter=2026Q4")
    assert page.status_code == 200 and 'data-report="verified"' in page.content.decode()

    body = sponsorship_rules.manifest_bytes({k: v for k, v in quarter.manifest.items() if k != "sha256"})
    good = client.post("/sponsorship/verify/", {"quarter": "2026Q4", "manifest": ContentFile(body, name="m.json")})
    bad = client.post("/sponsorship/verify/", {"quarter": "2026Q4", "manifest": ContentFile(body + b" ", name="m.json")})
    assert 'data-report="verified"' in good.content.decode()
    assert 'data-report="failed"' in bad.content.decode() and "not the published" in bad.content.decode()
    assert client.get("/sponsorship/verify/?quarter=2031Q1").status_code == 404

    report = api(None).get("/api/v1/sponsorship/quarters/2026Q4/verification/").json()
    assert report["verified"] is True and {c["name"] for c in report["checks"]} == {"manifest", "allocations", "evidence"}


# --- item 3: freeze seals what it just computed -----------------------------------------------------------------


def test_a_pool_changed_after_compute_marks_the_quarter_stale_and_freeze_refuses(api, client, models, steward):
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")

    # 1,000 and 1,001 give the same amounts (30 each): only the unallocated rest differs.
    patched = api(steward).patch("/api/v1/sponsorship/quarters/2026Q4/", {"pool_minor_units": 1_001}, format="json")
    assert patched.json()["stale"] is True
    assert api(steward).get("/api/v1/sponsorship/quarters/2026Q4/allocations/").json()["stale"] is True
    client.force_login(steward)
    assert "data-stale" in client.get("/sponsorship/quarters/2026Q4/").content.decode()
    assert "data-stale" in client.get("/sponsorship/").content.decode()
    csv_rows = api(steward).get("/api/v1/sponsorship/quarters/2026Q4/allocations.csv").content.decode()
    assert "(stale: the quarter's inputs changed since this computation)" in csv_rows
    assert_error(api(steward).post("/api/v1/sponsorship/quarters/2026Q4/freeze/"), 409, "stale")

    quarter = quarter_compute(actor=steward, label="2026Q4")
    assert not quarter.stale and quarter.allocated_minor_units + quarter.unallocated_minor_units == 1_001
    frozen = quarter_freeze(actor=steward, label="2026Q4")
    assert frozen.manifest["pool_minor_units"] == 1_001 and sponsorship_rules.verify(frozen.manifest)


def test_freeze_refuses_when_certifications_changed_since_the_last_compute(api, models, steward, make_user):
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")
    late = register(make_user(Role.CURATOR), "late")
    certify(late.current_version)

    error = assert_error(api(steward).post("/api/v1/sponsorship/quarters/2026Q4/freeze/"), 409, "stale")
    assert "late became eligible" in error["message"]
    assert not Quarter.objects.get(label="2026Q4").frozen


def test_totals_that_do_not_add_up_to_the_pool_are_refused_by_the_database(models, steward):
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    quarter = quarter_compute(actor=steward, label="2026Q4")

    with pytest.raises(IntegrityError), transaction.atomic():
        Quarter.objects.filter(pk=quarter.pk).update(pool_minor_units=1_001)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quarter.objects.filter(pk=quarter.pk).update(unallocated_minor_units=0)
    # Partner: the service's edit marks the computation stale, which the constraint allows until recomputed.
    assert quarter_update(actor=steward, label="2026Q4", pool_minor_units=1_001).stale


# --- item 4: guards on every path, both engines ----------------------------------------------------------------


def _refused(change):
    with pytest.raises(DatabaseError), transaction.atomic():
        change()


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_allocations_move_neither_into_nor_out_of_a_frozen_quarter(models, steward):
    frozen = _freeze(steward)
    quarter_open(actor=steward, label="2027Q1", pool_minor_units=500, currency="CNY")
    open_quarter = quarter_compute(actor=steward, label="2027Q1")
    into = Allocation.objects.filter(quarter=open_quarter).first()

    _refused(lambda: Allocation.objects.filter(pk=into.pk).update(quarter=frozen))
    _refused(lambda: Allocation.objects.filter(quarter=frozen).update(quarter=open_quarter))
    # Partner: rows of an open quarter still change (compute replaces them).
    assert Allocation.objects.filter(pk=into.pk).update(amount_minor_units=into.amount_minor_units) == 1
    assert Allocation.objects.filter(quarter=frozen).count() == 3


def test_no_upsert_or_replace_over_a_frozen_quarter(models, steward):
    frozen = _freeze(steward)
    if connection.vendor == "sqlite":
        _refused(
            lambda: _sql(
                "INSERT OR REPLACE INTO governance_quarter (id, label, pool_minor_units, currency, weight_percent, cap_percent,"
                " status, stale, computations, eligible_count, allocated_minor_units, unallocated_minor_units, share,"
                " manifest_sha256, created_at, updated_at) VALUES (%s, '2026Q4', 5, 'CNY', 3, 100, 'open', 0, 0, 0, 0, 0,"
                " '', '', '2026-01-01', '2026-01-01')",
                [frozen.pk],
            )
        )
        row = Allocation.objects.filter(quarter=frozen).first()
        _refused(
            lambda: _sql(
                "INSERT OR REPLACE INTO governance_allocation (id, quarter_id, model_id, version_id, certification_id,"
                " model_slug, evaluation_ids, amount_minor_units) VALUES (%s, %s, %s, %s, %s, %s, '[]', 0)",
                [row.pk, frozen.pk, row.model_id, row.version_id, row.certification_id, row.model_slug],
            )
        )
    else:
        _refused(
            lambda: _sql(
                "INSERT INTO governance_quarter (label, pool_minor_units, currency, weight_percent, cap_percent, status,"
                " stale, computations, eligible_count, allocated_minor_units, unallocated_minor_units, share,"
                " manifest_sha256, created_at, updated_at) VALUES ('2026Q4', 5, 'CNY', 3, 100, 'open', false, 0, 0, 0, 0,"
                " '', '', now(), now()) ON CONFLICT (label) DO UPDATE SET status = 'open', pool_minor_units = 5"
            )
        )
    frozen.refresh_from_db()
    assert frozen.frozen and frozen.pool_minor_units == 1_001


@pytest.mark.parametrize(
    "table",
    [
        "governance_quarter",
        "governance_allocation",
        "governance_evaluation",
        "governance_certification",
        "accounts_auditlogentry",
    ],
)
def test_truncate_is_refused_on_postgresql(models, steward, table):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has none (DELETE is guarded row by row)")
    _freeze(steward)
    _refused(lambda: _sql(f"TRUNCATE {table} CASCADE"))
    assert Quarter.objects.filter(status="frozen").exists()


def test_evaluations_are_append_only_and_sealed_ones_cannot_be_deleted(models, steward, make_user):
    _freeze(steward)
    sealed = Evaluation.objects.filter(version=models[0].current_version).first()
    unsealed = counted(models[1].current_version, "energy", 0.05)
    pending = counted(models[2].current_version, "energy", 0.05, status=Evaluation.Status.PENDING)

    _refused(lambda: Evaluation.objects.filter(pk=sealed.pk).update(value=99))
    _refused(lambda: Evaluation.objects.filter(pk=unsealed.pk).update(measured_at=sealed.measured_at))
    _refused(lambda: Evaluation.objects.filter(pk=unsealed.pk).update(status=Evaluation.Status.REJECTED))
    _refused(lambda: Evaluation.objects.filter(pk=sealed.pk).delete())
    if connection.vendor == "sqlite":
        _refused(
            lambda: _sql(
                "INSERT OR REPLACE INTO governance_evaluation SELECT * FROM governance_evaluation WHERE id = %s", [sealed.pk]
            )
        )
    # Partners: a pending value is still reviewed (its review fields change once), and a correction is a new row.
    assert Evaluation.objects.filter(pk=pending.pk).update(status=Evaluation.Status.COUNTED) == 1
    correction = counted(models[0].current_version, "energy", 0.03)
    assert correction.pk != sealed.pk and Evaluation.objects.get(pk=sealed.pk).value == sealed.value


def test_certifications_behind_a_frozen_quarter_keep_their_terms(models, steward):
    _freeze(steward)
    certification = Certification.objects.filter(model=models[0]).get()

    _refused(lambda: Certification.objects.filter(pk=certification.pk).update(expires_at=certification.valid_from))
    _refused(lambda: Certification.objects.filter(pk=certification.pk).update(robustness=certification.energy))
    _refused(lambda: Certification.objects.filter(pk=certification.pk).delete())
    # Partner: it may still end (a new version, a critical finding); once ended it stays ended.
    assert Certification.objects.filter(pk=certification.pk).update(status="ended", end_reason="new version") == 1
    _refused(lambda: Certification.objects.filter(pk=certification.pk).update(status="active"))


def test_migrating_installs_every_guard(db):
    """The migration's own step, as `migrate` runs it in CI and on a fresh clone."""
    migration = importlib.import_module("governance.migrations.0005_quarter_seal")
    remove_quarter_guards(connection)
    assert not installed_guards(connection) & expected_guards(connection.vendor)

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.install(None, editor)
    assert expected_guards(connection.vendor) <= installed_guards(connection)
    install_quarter_guards(connection)  # idempotent: installing again changes nothing
    assert expected_guards(connection.vendor) <= installed_guards(connection)
