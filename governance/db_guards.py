"""Database triggers that keep a frozen quarter and its allocations unchanged below the ORM (SQLite, PostgreSQL).

Installed by migration 0003. The services refuse first (409, logged); these catch anything that bypasses them.
The test suite lifts them only around its own table flushes (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

Q, A = "governance_quarter", "governance_allocation"
MESSAGE = "a frozen quarter never changes"

_INSTALL = {
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS {Q}_frozen_no_update BEFORE UPDATE ON {Q} WHEN OLD.status = 'frozen'
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS {Q}_frozen_no_delete BEFORE DELETE ON {Q} WHEN OLD.status = 'frozen'
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS {A}_frozen_no_insert BEFORE INSERT ON {A}
            WHEN (SELECT status FROM {Q} WHERE id = NEW.quarter_id) = 'frozen'
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS {A}_frozen_no_update BEFORE UPDATE ON {A}
            WHEN (SELECT status FROM {Q} WHERE id = OLD.quarter_id) = 'frozen'
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS {A}_frozen_no_delete BEFORE DELETE ON {A}
            WHEN (SELECT status FROM {Q} WHERE id = OLD.quarter_id) = 'frozen'
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION {Q}_frozen_refuse() RETURNS trigger AS $$
            BEGIN
              IF TG_TABLE_NAME = '{Q}' THEN
                IF OLD.status = 'frozen' THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
              ELSIF EXISTS (SELECT 1 FROM {Q} WHERE status = 'frozen'
                            AND id IN (CASE WHEN TG_OP = 'INSERT' THEN NEW.quarter_id ELSE OLD.quarter_id END)) THEN
                RAISE EXCEPTION '{MESSAGE}';
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql;""",
        f"DROP TRIGGER IF EXISTS {Q}_frozen ON {Q};",
        f"CREATE TRIGGER {Q}_frozen BEFORE UPDATE OR DELETE ON {Q} FOR EACH ROW EXECUTE FUNCTION {Q}_frozen_refuse();",
        f"DROP TRIGGER IF EXISTS {A}_frozen ON {A};",
        f"CREATE TRIGGER {A}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {A} FOR EACH ROW EXECUTE FUNCTION {Q}_frozen_refuse();",
    ],
}
_REMOVE = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {Q}_frozen_no_update;",
        f"DROP TRIGGER IF EXISTS {Q}_frozen_no_delete;",
        f"DROP TRIGGER IF EXISTS {A}_frozen_no_insert;",
        f"DROP TRIGGER IF EXISTS {A}_frozen_no_update;",
        f"DROP TRIGGER IF EXISTS {A}_frozen_no_delete;",
    ],
    "postgresql": [f"DROP TRIGGER IF EXISTS {Q}_frozen ON {Q};", f"DROP TRIGGER IF EXISTS {A}_frozen ON {A};"],
}


def _execute(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_quarter_guards(connection: Any) -> None:
    _execute(connection, _INSTALL.get(connection.vendor, []))


def remove_quarter_guards(connection: Any) -> None:
    _execute(connection, _REMOVE.get(connection.vendor, []))
