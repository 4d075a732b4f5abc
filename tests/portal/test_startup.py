"""A web process settles after loading: the views are imported and start-up objects are out of the collector's way."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, sys
before = gc.get_freeze_count()
import portal.wsgi
from django.template import engines
cached = engines["django"].engine.template_loaders[0].get_template_cache
print(before, gc.get_freeze_count(), "courses.views" in sys.modules, callable(portal.wsgi.application))
print(len(cached), "courses/course_gradebook.html" in cached, "base.html" in cached, "admin/base.html" in cached)
"""


def test_the_wsgi_entry_point_loads_the_views_compiles_the_templates_and_freezes_what_start_up_loaded():
    # Given a fresh process, when it imports the WSGI entry point (gunicorn and runserver do)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
    ).stdout.split()  # fmt: skip
    # then nothing was frozen before, tens of thousands of objects are after, and the views are already imported
    assert out[0] == "0"
    assert int(out[1]) > 10_000
    assert out[2:4] == ["True", "True"]
    # and the portal's own templates are compiled and cached (frozen with the rest), not third-party ones never used
    assert int(out[4]) > 50
    assert out[5:] == ["True", "True", "False"]
