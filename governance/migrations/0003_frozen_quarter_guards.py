from django.db import migrations


def install(apps, schema_editor):
    from governance.db_guards import install_quarter_guards

    install_quarter_guards(schema_editor.connection)


def remove(apps, schema_editor):
    from governance.db_guards import remove_quarter_guards

    remove_quarter_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_registry_audits_health_sponsorship")]

    operations = [migrations.RunPython(install, remove)]
