"""Why a certification ended, in the reader's language.

The services store the reason as a short English phrase (it is also what the manifest and exports carry);
pages show it through `reason_text`, which recognises each phrase the services write and translates it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

from governance.models import Dimension


def _dimensions(text: str) -> str:
    labels = dict(Dimension.choices)
    return _(", ").join(str(labels.get(name.strip(), name.strip())) for name in text.split(","))


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^no longer the current version$"), lambda m: _("no longer the current version")),
    (re.compile(r"^newer counted values$"), lambda m: _("newer counted values")),
    (
        re.compile(r"^critical security finding in audit #(\d+)$"),
        lambda m: _("critical security finding in audit #%(pk)s") % {"pk": m[1]},
    ),
    (re.compile(r"^new version (.+)$"), lambda m: _("new version %(version)s") % {"version": m[1]}),
    (
        re.compile(r"^newer (.+) value does not pass$"),
        lambda m: _("newer %(dimensions)s value does not pass") % {"dimensions": _dimensions(m[1])},
    ),
    (re.compile(r"^no counted (.+) value$"), lambda m: _("no counted %(dimensions)s value") % {"dimensions": _dimensions(m[1])}),
]


def reason_text(stored: str) -> str:
    for pattern, render in _PATTERNS:
        match = pattern.match(stored or "")
        if match:
            return render(match)
    return stored
