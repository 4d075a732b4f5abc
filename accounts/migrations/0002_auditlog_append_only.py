from typing import Any

from django.db import migrations

from accounts.db_guards import install_audit_guards, remove_audit_guards


def install(apps: Any, schema_editor: Any) -> None:
    install_audit_guards(schema_editor.connection)


def remove(apps: Any, schema_editor: Any) -> None:
    remove_audit_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
