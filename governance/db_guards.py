"""Database triggers that keep a frozen quarter, its allocations and what it rests on unchanged below the ORM.

On SQLite and PostgreSQL:
- a frozen quarter's row can be neither updated nor deleted, and no row can be written over it (SQLite's
  `INSERT OR REPLACE` deletes the old row without firing delete triggers, so an insert trigger refuses it);
- an allocation can move neither into nor out of a frozen quarter, nor be inserted, replaced or deleted there;
- evaluations are append-only: what was measured (value, dimension, run, evidence, dates…) never changes, the
  review fields change only while the value waits for review, and one referenced by a frozen quarter can't
  be deleted; a correction is a new evaluation that supersedes it;
- a certification's terms (version, evaluations, methodology, validity) never change once a frozen quarter
  references it, its status moves only out of "active", and a referenced one can't be deleted;
- on PostgreSQL, statement-level triggers refuse TRUNCATE of quarters, allocations, evaluations and
  certifications (the audit log's own guard refuses it there: accounts/db_guards.py).

Installed by migrations 0003 and 0004 (each re-creates every trigger, so a changed definition replaces the
old one). The services refuse first (409, logged); these catch anything that bypasses them. The test suite
lifts them only around its own table flushes (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

# The guarded tables (named in full: one-letter names here once shadowed Django's `Q`).
QUARTERS, ALLOCATIONS = "governance_quarter", "governance_allocation"
EVALUATIONS, CERTIFICATIONS = "governance_evaluation", "governance_certification"
MESSAGE = "a frozen quarter never changes"
APPEND_ONLY = "evaluations are append-only: a correction is a new evaluation"
SEALED = "a certification or evaluation behind a frozen quarter never changes"

# What an evaluation measured: never changes once written.
_EVALUATION_FACTS = [
    "version_id",
    "dimension",
    "value",
    "unit",
    "provenance",
    "methodology_version",
    "run_id",
    "evidence_file",
    "evidence_note",
    "backend",
    "region",
    "carbon_intensity_g_per_kwh",
    "estimated",
    "metrics",
    "submitted_by_id",
    "measured_at",
    "created_at",
]
_EVALUATION_REVIEW = ["status", "reviewed_by_id", "reviewed_at", "counted_at"]
# What a quarter seals about a certification.
_CERTIFICATION_TERMS = [
    "version_id",
    "model_id",
    "methodology_version",
    "robustness_id",
    "explainability_id",
    "energy_id",
    "valid_from",
    "expires_at",
    "created_at",
]
_CERTIFICATION_LIFECYCLE = ["status", "ended_at", "end_reason", "suspended_by_audit_id"]


def _changed(columns: list[str], distinct: str) -> str:
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in columns)


def _frozen_quarter(quarter_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM {QUARTERS} WHERE id = {quarter_id} AND status = 'frozen')"


def _certification_sealed(certification_id: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {ALLOCATIONS} a JOIN {QUARTERS} q ON q.id = a.quarter_id"
        f" WHERE a.certification_id = {certification_id} AND q.status = 'frozen')"
    )


def _evaluation_sealed(evaluation_id: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {CERTIFICATIONS} c JOIN {ALLOCATIONS} a ON a.certification_id = c.id"
        f" JOIN {QUARTERS} q ON q.id = a.quarter_id"
        f" WHERE q.status = 'frozen' AND {evaluation_id} IN (c.robustness_id, c.explainability_id, c.energy_id))"
    )


def _sqlite_trigger(name: str, when: str, table: str, condition: str, message: str) -> str:
    return f"""CREATE TRIGGER {name} {when} ON {table} WHEN {condition}
            BEGIN SELECT RAISE(ABORT, '{message}'); END;"""


_SQLITE_TRIGGERS = [
    # name, timing, table, condition, message
    (f"{QUARTERS}_frozen_no_update", "BEFORE UPDATE", QUARTERS, "OLD.status = 'frozen'", MESSAGE),
    (f"{QUARTERS}_frozen_no_delete", "BEFORE DELETE", QUARTERS, "OLD.status = 'frozen'", MESSAGE),
    (
        f"{QUARTERS}_frozen_no_replace",
        "BEFORE INSERT",
        QUARTERS,
        f"EXISTS (SELECT 1 FROM {QUARTERS} WHERE status = 'frozen' AND (id = NEW.id OR label = NEW.label))",
        MESSAGE,
    ),
    (
        f"{ALLOCATIONS}_frozen_no_insert",
        "BEFORE INSERT",
        ALLOCATIONS,
        f"{_frozen_quarter('NEW.quarter_id')} OR EXISTS (SELECT 1 FROM {ALLOCATIONS} a JOIN {QUARTERS} q ON q.id = a.quarter_id"
        " WHERE q.status = 'frozen' AND (a.id = NEW.id OR (a.quarter_id = NEW.quarter_id AND a.model_id = NEW.model_id)))",
        MESSAGE,
    ),
    (
        f"{ALLOCATIONS}_frozen_no_update",
        "BEFORE UPDATE",
        ALLOCATIONS,
        f"{_frozen_quarter('OLD.quarter_id')} OR {_frozen_quarter('NEW.quarter_id')}",
        MESSAGE,
    ),
    (f"{ALLOCATIONS}_frozen_no_delete", "BEFORE DELETE", ALLOCATIONS, _frozen_quarter("OLD.quarter_id"), MESSAGE),
    (
        f"{EVALUATIONS}_append_only",
        "BEFORE UPDATE",
        EVALUATIONS,
        f"{_changed(_EVALUATION_FACTS, 'IS NOT')} OR (OLD.status != 'pending' AND ({_changed(_EVALUATION_REVIEW, 'IS NOT')}))",
        APPEND_ONLY,
    ),
    (
        f"{EVALUATIONS}_no_replace",
        "BEFORE INSERT",
        EVALUATIONS,
        f"EXISTS (SELECT 1 FROM {EVALUATIONS} WHERE id = NEW.id OR (NEW.run_id IS NOT NULL AND run_id = NEW.run_id))",
        APPEND_ONLY,
    ),
    (f"{EVALUATIONS}_sealed_no_delete", "BEFORE DELETE", EVALUATIONS, _evaluation_sealed("OLD.id"), SEALED),
    (
        f"{CERTIFICATIONS}_sealed_no_update",
        "BEFORE UPDATE",
        CERTIFICATIONS,
        f"(OLD.status != 'active' AND ({_changed(_CERTIFICATION_LIFECYCLE, 'IS NOT')}))"
        f" OR (({_changed(_CERTIFICATION_TERMS, 'IS NOT')}) AND {_certification_sealed('OLD.id')})",
        SEALED,
    ),
    (
        f"{CERTIFICATIONS}_no_replace",
        "BEFORE INSERT",
        CERTIFICATIONS,
        f"EXISTS (SELECT 1 FROM {CERTIFICATIONS} WHERE id = NEW.id OR (status = 'active' AND NEW.status = 'active'"
        " AND version_id = NEW.version_id))",
        SEALED,
    ),
    (f"{CERTIFICATIONS}_sealed_no_delete", "BEFORE DELETE", CERTIFICATIONS, _certification_sealed("OLD.id"), SEALED),
]

_PG_FUNCTIONS = {
    QUARTERS: f"""
        IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
        IF OLD.status = 'frozen' THEN RAISE EXCEPTION '{MESSAGE}'; END IF;""",
    ALLOCATIONS: f"""
        IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') AND {_frozen_quarter("OLD.quarter_id")} THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND {_frozen_quarter("NEW.quarter_id")} THEN RAISE EXCEPTION '{MESSAGE}'; END IF;""",
    EVALUATIONS: f"""
        IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION '{APPEND_ONLY}'; END IF;
        IF TG_OP = 'UPDATE' AND ({_changed(_EVALUATION_FACTS, "IS DISTINCT FROM")}
            OR (OLD.status != 'pending' AND ({_changed(_EVALUATION_REVIEW, "IS DISTINCT FROM")}))) THEN
          RAISE EXCEPTION '{APPEND_ONLY}';
        END IF;
        IF TG_OP = 'DELETE' AND {_evaluation_sealed("OLD.id")} THEN RAISE EXCEPTION '{SEALED}'; END IF;""",
    CERTIFICATIONS: f"""
        IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION '{SEALED}'; END IF;
        IF TG_OP = 'UPDATE' AND ((OLD.status != 'active' AND ({_changed(_CERTIFICATION_LIFECYCLE, "IS DISTINCT FROM")}))
            OR (({_changed(_CERTIFICATION_TERMS, "IS DISTINCT FROM")}) AND {_certification_sealed("OLD.id")})) THEN
          RAISE EXCEPTION '{SEALED}';
        END IF;
        IF TG_OP = 'DELETE' AND {_certification_sealed("OLD.id")} THEN RAISE EXCEPTION '{SEALED}'; END IF;""",
}
_PG_ROW_EVENTS = {
    QUARTERS: "UPDATE OR DELETE",
    ALLOCATIONS: "INSERT OR UPDATE OR DELETE",
    EVALUATIONS: "UPDATE OR DELETE",
    CERTIFICATIONS: "UPDATE OR DELETE",
}


def _postgresql_install() -> list[str]:
    statements = []
    for table, body in _PG_FUNCTIONS.items():
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger AS $$
            BEGIN{body}
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql;"""
        )
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_guard ON {table};",
            f"CREATE TRIGGER {table}_guard BEFORE {_PG_ROW_EVENTS[table]} ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {table}_guard();",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {table}_guard();",
        ]
    return statements


# Names of triggers from earlier versions of this module, dropped so that a re-install leaves only the current set.
_RETIRED = {
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {QUARTERS}_frozen ON {QUARTERS};",
        f"DROP TRIGGER IF EXISTS {ALLOCATIONS}_frozen ON {ALLOCATIONS};",
    ]
}


def _remove_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name};" for name, *_ in _SQLITE_TRIGGERS]
    if vendor == "postgresql":
        return _RETIRED["postgresql"] + [
            f"DROP TRIGGER IF EXISTS {table}_{kind} ON {table};" for table in _PG_FUNCTIONS for kind in ("guard", "no_truncate")
        ]
    return []


def _install_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return _remove_statements("sqlite") + [_sqlite_trigger(*trigger) for trigger in _SQLITE_TRIGGERS]
    if vendor == "postgresql":
        return _RETIRED["postgresql"] + _postgresql_install()
    return []


def installed_guards(connection: Any) -> set[str]:
    """Names of this module's triggers present in the database (what a test checks after migrating)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    return {
        name for name in names if name.startswith(("governance_quarter", "governance_allocation", EVALUATIONS, CERTIFICATIONS))
    }


def expected_guards(vendor: str) -> set[str]:
    if vendor == "sqlite":
        return {name for name, *_ in _SQLITE_TRIGGERS}
    return {f"{table}_{kind}" for table in _PG_FUNCTIONS for kind in ("guard", "no_truncate")}


def _execute(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_quarter_guards(connection: Any) -> None:
    _execute(connection, _install_statements(connection.vendor))


def remove_quarter_guards(connection: Any) -> None:
    _execute(connection, _remove_statements(connection.vendor))
