"""What a web process does once it has loaded, before its first request."""

from __future__ import annotations

import gc
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver


def settle() -> None:
    """Imports every view (the URL patterns name them) and compiles the portal's templates, then takes everything
    loaded so far out of the garbage collector's generations.

    What start-up loads lives as long as the process. Left in the collected generations, every full collection walks
    all of it again, so the request that happens to trigger one waits for it: 100–300 ms on the pages that build many
    objects at scale (bench/scale.py, the p95 column). `gc.freeze()` moves those objects to a permanent generation that
    collections skip, as Python's documentation advises for long-lived server processes; forked workers also keep
    sharing those memory pages instead of copying them when a collection touches them. The compiled templates are
    most of what the first requests would add otherwise (some 25,000 nodes and tokens kept by the cached loader: a
    full collection over them took 14 ms at scale), so they are compiled here and frozen with the rest.
    """
    get_resolver().url_patterns  # noqa: B018 — loads the views now, not on the first request
    compile_templates()
    gc.collect()
    gc.freeze()


def compile_templates() -> int:
    """Loads every template of the portal's own apps through the Django engine's loaders (the cached loader keeps
    them); returns how many. Third-party apps' templates are left to their first use: most are never rendered."""
    engine = engines["django"].engine  # type: ignore[attr-defined]
    root = Path(settings.BASE_DIR)
    compiled = 0
    for directory in (*map(Path, engine.dirs), *get_app_template_dirs("templates")):
        if not directory.is_relative_to(root) or "site-packages" in directory.parts:
            continue
        for path in sorted(directory.rglob("*.html")):
            try:
                engine.get_template(path.relative_to(directory).as_posix())
            except (TemplateDoesNotExist, TemplateSyntaxError):
                continue  # a partial meant for another engine or loader; it fails where it is used, as before
            compiled += 1
    return compiled
