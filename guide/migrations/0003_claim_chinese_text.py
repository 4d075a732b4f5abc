from django.db import migrations, models


class Migration(migrations.Migration):
    """Every claim in English and Chinese: the English fields get an `_en` suffix beside their `_zh` siblings,
    and the working command gets an explanation in both languages (filled by `manage.py import_guide`)."""

    dependencies = [("guide", "0002_section_fts")]

    operations = [
        migrations.RenameField("claim", "evidence", "evidence_en"),
        migrations.RenameField("claim", "correction", "correction_en"),
        migrations.RenameField("claim", "go_version_checked", "go_version_checked_en"),
        migrations.AlterField(
            "claim", "go_version_checked_en", models.CharField(max_length=300, verbose_name="checked against (English)")
        ),
        migrations.AddField(
            "claim",
            "go_version_checked_zh",
            models.CharField(default="", max_length=300, verbose_name="checked against (Chinese)"),
            preserve_default=False,
        ),
        migrations.AlterField(
            "claim", "evidence_en", models.TextField(verbose_name="evidence (English)")
        ),
        migrations.AlterField(
            "claim", "correction_en", models.TextField(blank=True, verbose_name="correction (English)")
        ),
        migrations.AddField(
            "claim", "summary_zh", models.TextField(default="", verbose_name="claim (Chinese)"), preserve_default=False
        ),
        migrations.AddField(
            "claim", "evidence_zh", models.TextField(default="", verbose_name="evidence (Chinese)"), preserve_default=False
        ),
        migrations.AddField(
            "claim", "correction_zh", models.TextField(blank=True, verbose_name="correction (Chinese)")
        ),
        migrations.AddField(
            "claim",
            "fix_note_en",
            models.TextField(
                blank=True,
                help_text="Shown under the working command.",
                verbose_name="what the working command does (English)",
            ),
        ),
        migrations.AddField(
            "claim", "fix_note_zh", models.TextField(blank=True, verbose_name="what the working command does (Chinese)")
        ),
    ]
