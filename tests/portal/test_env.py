from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import Env

ROOT = Path(__file__).resolve().parents[2]


def test_typed_values_are_parsed():
    env = Env({"FLAG": "yes", "N": "42", "RATE": "0.5", "HOSTS": "a, b,,c", "DB": "postgres://x/y"})

    assert env.flag("FLAG", False) is True
    assert env.integer("N", 0) == 42
    assert env.number("RATE", 1.0) == 0.5
    assert env.csv("HOSTS", []) == ["a", "b", "c"]
    assert env.url("DB", "sqlite:///x", schemes=("sqlite", "postgres")) == "postgres://x/y"
    assert env.integer("MISSING", 7) == 7


@pytest.mark.parametrize(
    ("environ", "read"),
    [
        ({"FLAG": "maybe"}, lambda env: env.flag("FLAG", False)),
        ({"N": "forty"}, lambda env: env.integer("N", 0)),
        ({"N": "-1"}, lambda env: env.integer("N", 0, min_value=0)),
        ({"DB": "mysql://x"}, lambda env: env.url("DB", "sqlite:///x", schemes=("sqlite", "postgres"))),
        ({"LEVEL": "LOUD"}, lambda env: env.choice("LEVEL", "INFO", ("INFO", "DEBUG"))),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(environ, read):
    with pytest.raises(ImproperlyConfigured) as raised:
        read(Env(environ))
    assert next(iter(environ)) in str(raised.value)


def test_secret_is_required_outside_debug_and_defaulted_in_debug():
    assert Env({}).secret("SECRET_KEY", debug_default="dev", debug=True) == "dev"
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required"):
        Env({}).secret("SECRET_KEY", debug_default="dev", debug=False)


def test_the_github_oauth_app_is_both_variables_or_neither():
    assert Env({}).pair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET") is None
    both = {"GITHUB_CLIENT_ID": "Iv1.abc", "GITHUB_CLIENT_SECRET": "shh"}
    assert Env(both).pair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET") == ("Iv1.abc", "shh")
    with pytest.raises(ImproperlyConfigured, match="GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID"):
        Env({"GITHUB_CLIENT_ID": "Iv1.abc"}).pair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
    with pytest.raises(ImproperlyConfigured, match="GITHUB_CLIENT_ID is required when GITHUB_CLIENT_SECRET"):
        Env({"GITHUB_CLIENT_SECRET": "shh"}).pair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")


S3 = {
    "AWS_STORAGE_BUCKET_NAME": "go3s-portal",
    "AWS_ACCESS_KEY_ID": "portal",
    "AWS_SECRET_ACCESS_KEY": "portal-secret",
    "AWS_S3_REGION_NAME": "us-east-1",
}


def test_object_storage_is_off_without_a_bucket_and_complete_with_one():
    assert Env({}).object_storage() is None
    options = Env({**S3, "AWS_S3_ENDPOINT_URL": "http://minio:9000", "AWS_S3_ADDRESSING_STYLE": "path"}).object_storage()

    assert options == {
        "bucket": "go3s-portal",
        "access_key": "portal",
        "secret_key": "portal-secret",
        "region": "us-east-1",
        "endpoint_url": "http://minio:9000",
        "addressing_style": "path",
    }


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({**S3, "AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID"),
        ({key: value for key, value in S3.items() if key != "AWS_SECRET_ACCESS_KEY"}, "AWS_SECRET_ACCESS_KEY"),
        ({key: value for key, value in S3.items() if key != "AWS_S3_REGION_NAME"}, "AWS_S3_REGION_NAME"),
        ({key: value for key, value in S3.items() if key != "AWS_STORAGE_BUCKET_NAME"}, "AWS_STORAGE_BUCKET_NAME"),
        ({"AWS_S3_ENDPOINT_URL": "http://minio:9000"}, "AWS_STORAGE_BUCKET_NAME"),
        ({**S3, "AWS_S3_ENDPOINT_URL": "minio:9000"}, "AWS_S3_ENDPOINT_URL"),
        ({**S3, "AWS_S3_ADDRESSING_STYLE": "sideways"}, "AWS_S3_ADDRESSING_STYLE"),
    ],
)
def test_an_incomplete_object_storage_is_refused_naming_the_variable(environ, named):
    with pytest.raises(ImproperlyConfigured) as raised:
        Env(environ).object_storage()
    assert named in str(raised.value)


def _manage(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A bare environment: nothing of the test settings' own environment may leak into the child.
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    clean["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    clean["PORTAL_DATA_DIR"] = os.environ["PORTAL_DATA_DIR"] + "-env"  # this pass's own (bin/test runs two side by side)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **environ}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "oracle://db/portal"}, "DATABASE_URL"),
        ({"DEBUG": "1", "CELERY_BROKER_URL": "kafka://x"}, "CELERY_BROKER_URL"),
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "1", "AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT"),
        ({"DEBUG": "1", "AWS_STORAGE_BUCKET_NAME": "go3s-portal"}, "AWS_ACCESS_KEY_ID"),
        # Redis delivers an unacknowledged message again after the visibility timeout: a run may not outlast it.
        (
            {"DEBUG": "1", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "CELERY_VISIBILITY_TIMEOUT": "3600"},
            "CELERY_VISIBILITY_TIMEOUT",
        ),
    ],
)
def test_process_refuses_to_start_on_a_bad_setting(environ, named):
    result = _manage(["check"], environ)

    assert result.returncode != 0
    assert named in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_a_visibility_timeout_above_the_longest_run_starts():
    environ = {"DEBUG": "1", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "CELERY_VISIBILITY_TIMEOUT": "3721"}
    result = _manage(
        ["shell", "-c", "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS)"], environ
    )

    assert result.returncode == 0, result.stderr
    assert "'visibility_timeout': 3721" in result.stdout


def test_production_settings_pass_the_deploy_check():
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "a-production-like-secret-that-is-long-enough-0123456789-abcdefghijkl",
        "ALLOWED_HOSTS": "portal.example.org",
    }

    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], production)
    with_bucket = _manage(
        [
            "shell",
            "-c",
            'from django.core.files.storage import storages; s = storages["default"]; print(type(s).__name__, s.bucket_name)',
        ],
        {**production, **S3},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert with_bucket.returncode == 0, with_bucket.stderr
    assert with_bucket.stdout.splitlines()[-1].split() == ["S3Storage", "go3s-portal"]
