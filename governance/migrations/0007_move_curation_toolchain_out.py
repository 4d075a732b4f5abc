"""Curation and toolchain became apps of their own: their models leave governance's state, not the database.

The tables keep their `governance_*` names (each moved model sets `db_table`), so no row moves and foreign keys
stay as they are. The content types follow the models, which keeps admin permissions and log entries attached.
"""

from django.db import migrations

MOVED = {
    "curation": ["annotation", "ruling", "piiflag", "piiscan", "piiterm", "datasetitem", "dataset"],
    "toolchain": ["benchmarkresult", "benchmarkrun", "benchmark"],
}


def _relabel_content_types(apps, schema_editor, *, forwards: bool) -> None:
    """Moves each content type to the model's new app, unless one there exists already (then both stay)."""
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    for app_label, models in MOVED.items():
        old, new = ("governance", app_label) if forwards else (app_label, "governance")
        for model in models:
            if not content_types.filter(app_label=new, model=model).exists():
                content_types.filter(app_label=old, model=model).update(app_label=new)


def relabel_forwards(apps, schema_editor) -> None:
    _relabel_content_types(apps, schema_editor, forwards=True)


def relabel_backwards(apps, schema_editor) -> None:
    _relabel_content_types(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("governance", "0006_owner_reminders"),
        ("curation", "0001_initial"),
        ("toolchain", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name=name) for models in MOVED.values() for name in models
            ],
        ),
        migrations.RunPython(relabel_forwards, relabel_backwards),
    ]
