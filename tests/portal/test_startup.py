"""A web process settles after loading: the views are imported and start-up objects are out of the collector's way."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, sys
before = gc.get_freeze_count()
import portal.wsgi
print(before, gc.get_freeze_count(), "courses.views" in sys.modules, callable(portal.wsgi.application))
"""


def test_the_wsgi_entry_point_loads_the_views_and_freezes_what_start_up_loaded():
    # Given a fresh process, when it imports the WSGI entry point (gunicorn and runserver do)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
    ).stdout.split()  # fmt: skip
    # then nothing was frozen before, tens of thousands of objects are after, and the views are already imported
    assert out[0] == "0"
    assert int(out[1]) > 10_000
    assert out[2:] == ["True", "True"]
