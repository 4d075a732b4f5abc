"""Reading an enrolment CSV: the encoding decided per file, every row checked, every problem reported.

Pure: nothing is written here. `courses.services.enrolment_csv_import` imports only a file without a
single rejected row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

# Header names accepted for each column (lower-cased, stripped): English and what Chinese Excel users type.
EMAIL_HEADERS = {"email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件", "邮件"}
NAME_HEADERS = {"name", "full name", "display name", "姓名", "名字"}
MAX_ROWS = 2000


@dataclass
class CsvRow:
    line: int
    email: str
    name: str


@dataclass
class CsvReport:
    encoding: str = ""
    rows: list[CsvRow] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append((line, reason))

    def as_fields(self) -> dict[str, list[str]]:
        fields: dict[str, list[str]] = {}
        for line, reason in self.rejected:
            fields.setdefault(f"line {line}", []).append(reason)
        return fields


def decode(raw: bytes) -> tuple[str, str] | None:
    """The text and the encoding: UTF-8 (with or without BOM) when it decodes, else GBK; None if neither.

    GBK decodes almost any byte sequence of even length, so UTF-8 is tried first: a file that is valid
    UTF-8 is taken as UTF-8 (real GBK text with Chinese characters is practically never valid UTF-8).
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gbk"), "gbk"
    except UnicodeDecodeError:
        return None


def _domain_ok(email: str, domain: str) -> bool:
    host = email.rsplit("@", 1)[-1].lower()
    domain = domain.lower().lstrip("@")
    return host == domain or host.endswith("." + domain)


def read_enrolment_csv(raw: bytes, *, email_domain: str = "", enrolled_emails: frozenset[str] = frozenset()) -> CsvReport:
    """Every row of the file checked: e-mail present and valid, in the institution's domain (when given),
    not twice in the file, not already enrolled; a name present."""
    report = CsvReport()
    decoded = decode(raw)
    if decoded is None:
        report.reject(1, _("The file is neither UTF-8 nor GBK text: save it as CSV (UTF-8) and upload it again."))
        return report
    text, report.encoding = decoded
    if "\x00" in text:
        report.reject(1, _("The file is not a text CSV file."))
        return report
    lines = list(csv.reader(io.StringIO(text, newline="")))
    if not lines:
        report.reject(1, _("The file is empty."))
        return report
    header = [cell.strip().lower() for cell in lines[0]]
    email_at = next((i for i, name in enumerate(header) if name in EMAIL_HEADERS), None)
    name_at = next((i for i, name in enumerate(header) if name in NAME_HEADERS), None)
    if email_at is None or name_at is None:
        report.reject(1, _("The first line must name the columns: email and name (or 邮箱 and 姓名)."))
        return report
    if len(lines) - 1 > MAX_ROWS:
        report.reject(1, _("At most %(max)d students per file.") % {"max": MAX_ROWS})
        return report
    first_line: dict[str, int] = {}
    for line, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (Excel leaves them at the end) are not students
        email = cells[email_at].strip() if email_at < len(cells) else ""
        name = cells[name_at].strip() if name_at < len(cells) else ""
        problems = []
        if not email:
            problems.append(_("the e-mail is missing"))
        else:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(_("%(email)s is not a valid e-mail address") % {"email": email})
            else:
                key = email.lower()
                if email_domain and not _domain_ok(key, email_domain):
                    problems.append(_("%(email)s is not an address of %(domain)s") % {"email": email, "domain": email_domain})
                if key in first_line:
                    problems.append(_("%(email)s is already on line %(line)d") % {"email": email, "line": first_line[key]})
                elif key in enrolled_emails:
                    problems.append(_("%(email)s is already enrolled in this course") % {"email": email})
                first_line.setdefault(key, line)
        if not name:
            problems.append(_("the name is missing"))
        elif len(name) > 150:
            problems.append(_("the name is longer than 150 characters"))
        for problem in problems:
            report.reject(line, problem)
        if not problems:
            report.rows.append(CsvRow(line=line, email=email, name=name))
    if not report.rows and not report.rejected:
        report.reject(2, _("The file has no students in it."))
    return report
