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


def _manage(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A bare environment: nothing of the test settings' own environment may leak into the child.
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    clean["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    clean["PORTAL_DATA_DIR"] = str(ROOT / "var" / "test-env")
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
    ],
)
def test_process_refuses_to_start_on_a_bad_setting(environ, named):
    result = _manage(["check"], environ)

    assert result.returncode != 0
    assert named in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_settings_pass_the_deploy_check():
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "a-production-like-secret-that-is-long-enough-0123456789-abcdefghijkl",
        "ALLOWED_HOSTS": "portal.example.org",
    }

    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], production)

    assert result.returncode == 0, result.stdout + result.stderr
