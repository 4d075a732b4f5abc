"""Finding personal data in free text: pure functions, no database.

Kinds found: phone numbers (Chinese mobile and landline, international "+…" numbers), e-mail addresses,
the 18-digit Chinese resident ID (only with a valid ISO 7064 MOD 11-2 check digit: a number whose check
digit is wrong is not an ID and is not flagged), medical record numbers ("MRN 1234567", "病历号：…",
"住院号…", "门诊号…", "病案号…") and the curators' deny-list of medical terms.

Person names are not detected: that needs a named-entity model, and none is installed on the portal's
machines (Presidio's default engine would download one). `NAME_DETECTION_AVAILABLE` says so to the pages.
Spans are Python string offsets (code points), end exclusive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

NAME_DETECTION_AVAILABLE = False

PHONE = "phone"
EMAIL = "email"
RESIDENT_ID = "resident_id"
MEDICAL_RECORD = "medical_record"
DENY_TERM = "deny_term"
KINDS = (PHONE, EMAIL, RESIDENT_ID, MEDICAL_RECORD, DENY_TERM)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d+])(?:\(0\d{2,3}\)\s?|0\d{2,3}[- ])\d{7,8}(?:-\d{1,5})?(?!\d)")
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(?\d{1,5}\)?){2,6}(?!\d)")
_MEDICAL_RECORD = re.compile(
    r"(?:\b(?:MRN|Medical\s+Record\s+(?:Number|No\.?|#))\s*[:#：]?\s*[A-Za-z]{0,3}\d{4,12}\b)"
    r"|(?:(?:病历号|住院号|门诊号|病案号)\s*[:：#]?\s*[A-Za-z0-9-]{4,20})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    text: str


def resident_id_is_valid(number: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an 18-character Chinese resident ID."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _digits(text: str) -> int:
    return sum(1 for char in text if char.isdigit())


def find_pii(text: str, deny_terms: Iterable[str] = ()) -> list[Span]:
    """Every span of personal data in `text`, sorted by position; overlapping phone matches are merged."""
    spans: list[Span] = []
    for match in _EMAIL.finditer(text):
        spans.append(Span(match.start(), match.end(), EMAIL, match.group()))
    for match in _RESIDENT_ID.finditer(text):
        if resident_id_is_valid(match.group()):
            spans.append(Span(match.start(), match.end(), RESIDENT_ID, match.group()))
    for match in _MEDICAL_RECORD.finditer(text):
        spans.append(Span(match.start(), match.end(), MEDICAL_RECORD, match.group()))
    taken = [(span.start, span.end) for span in spans]
    phones: list[Span] = []
    for pattern in (_MOBILE, _LANDLINE, _INTERNATIONAL):
        for match in pattern.finditer(text):
            start, end = match.start(), match.end()
            if not 7 <= _digits(match.group()) <= 15:
                continue
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue  # inside an ID, a record number, an address or an earlier phone match
            phones.append(Span(start, end, PHONE, match.group()))
            taken.append((start, end))
    spans.extend(phones)
    for term in sorted({term.strip() for term in deny_terms if term.strip()}):
        for match in re.finditer(re.escape(term), text, re.IGNORECASE):
            spans.append(Span(match.start(), match.end(), DENY_TERM, match.group()))
    return sorted(spans, key=lambda span: (span.start, span.end, span.kind))


def redact(text: str, start: int, end: int) -> str:
    """`text` with the span masked by as many "█" as it had characters, so other spans keep their offsets."""
    return text[:start] + "█" * (end - start) + text[end:]
