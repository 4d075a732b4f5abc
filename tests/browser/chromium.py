"""Debian's Chromium under Playwright, launched one way for every test that needs a real browser."""

from __future__ import annotations

import atexit
import os
import shutil
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


def available() -> bool:
    return os.path.exists(CHROMIUM)


def launch(playwright: Any) -> Any:
    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests make
    # between browser steps are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


_shared: Any = None


def shared_browser() -> Any:
    """The one browser of the test session (the `browser` fixture and checks inside other tests share it:
    Playwright's sync API allows one instance per thread); closed at exit."""
    global _shared
    if _shared is None:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _shared = launch(playwright)

        def close() -> None:
            _shared.close()
            playwright.stop()

        atexit.register(close)
    return _shared
