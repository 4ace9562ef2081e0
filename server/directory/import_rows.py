"""Checking a CSV file of organisations before anything is stored: a report row by row.

The file has a header line with these columns (order free, names as here; only `name` and
`kind` must have a value): `name`, `kind` (a slug of `kinds.KINDS`), `registration_number`
(ЕИК/БУЛСТАТ), `oblast` (code, or name in either script), `municipality` (name in either
script, within the oblast), `sectors` (slugs separated by `;`), `website`, `email`, `phone`,
`description`.

Every row is checked, and every problem of a row is reported with its line number (the
header is line 1). The import stores **nothing unless every row is valid**: a directory
that half-took a file would leave its author to work out which half. Two rows with one
registration number are a problem in the second ("the same ЕИК as line N").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from server.directory.kinds import KIND_SLUGS, SECTOR_SLUGS
from server.directory.regions import OBLASTS, Municipality, find_municipalities, oblasts
from server.directory.registration import check_registration_number
from server.directory.transliteration import search_key
from server.i18n import translator

COLUMNS = (
    "name",
    "kind",
    "registration_number",
    "oblast",
    "municipality",
    "sectors",
    "website",
    "email",
    "phone",
    "description",
)
EXPORT_ONLY = ("slug", "verified_at")  # written by an export, ignored by an import
MAX_ROWS = 5_000
MAX_NAME = 200
MAX_DESCRIPTION = 4_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()/-]{6,20}$")


@dataclass(frozen=True)
class OrganisationRow:
    """A valid row, ready to store."""

    name: str
    kind: str
    registration_number: str | None
    oblast: str | None
    municipality: str | None  # its code in ЕКАТТЕ (PDV22)
    sectors: tuple[str, ...]
    website: str | None
    email: str | None
    phone: str | None
    description: str


@dataclass
class RowReport:
    line: int
    errors: list[str] = field(default_factory=list)
    row: OrganisationRow | None = None


@dataclass
class ImportReport:
    rows: list[RowReport]
    errors: list[str] = field(default_factory=list)  # the file's own (columns, size)

    @property
    def valid(self) -> bool:
        return not self.errors and all(not r.errors for r in self.rows)

    @property
    def invalid_rows(self) -> list[RowReport]:
        return [r for r in self.rows if r.errors]


def check_file(text: str, locale: str = "en") -> ImportReport:
    """The report for a whole CSV file (UTF-8 text, a header line first), in ``locale``."""
    t = translator(locale, "directory")
    reader = csv.DictReader(text.removeprefix("\ufeff").splitlines())
    header = [column.strip() for column in reader.fieldnames or ()]
    missing = [column for column in ("name", "kind") if column not in header]
    unknown = [column for column in header if column not in COLUMNS + EXPORT_ONLY]
    errors = []
    if missing:
        errors.append(
            t.format("the header lacks the columns: {columns}", columns=", ".join(missing))
        )
    if unknown:
        errors.append(
            t.format(
                "unknown columns: {columns} (known: {known})",
                columns=", ".join(unknown),
                known=", ".join(COLUMNS),
            )
        )
    if errors:
        return ImportReport(rows=[], errors=errors)
    rows = list(reader)
    if len(rows) > MAX_ROWS:
        too_many = t.format(
            "at most {most} rows per file, not {count}", most=MAX_ROWS, count=len(rows)
        )
        return ImportReport(rows=[], errors=[too_many])
    return ImportReport(rows=check_rows(rows, locale))


def check_rows(rows: Iterable[dict[str | None, str | None]], locale: str = "en") -> list[RowReport]:
    t = translator(locale, "directory")
    reports = []
    seen: dict[str, int] = {}  # registration number -> line
    for index, raw in enumerate(rows):
        line = index + 2
        report = check_row(line, raw, locale)
        number = report.row.registration_number if report.row else None
        if number is not None:
            if number in seen:
                report.errors.append(t.format("the same ЕИК as line {line}", line=seen[number]))
                report.row = None
            else:
                seen[number] = line
        reports.append(report)
    return reports


def already_registered(number: str, name: str, locale: str = "en") -> str:
    """A row's problem when its registration number is stored already (as ``name``'s)."""
    return translator(locale, "directory").format(
        "registration_number: {number} is already in the directory ({name})",
        number=number,
        name=name,
    )


def _value(raw: dict[str | None, str | None], column: str) -> str:
    return (raw.get(column) or "").strip()


def check_row(line: int, raw: dict[str | None, str | None], locale: str = "en") -> RowReport:
    """One row's problems, each "column: what is wrong", or its values when it has none."""
    t = translator(locale, "directory")
    report = RowReport(line)
    errors = report.errors
    if raw.get(None):  # more cells than columns
        errors.append(t.gettext("more cells than the header has columns"))
    name = _value(raw, "name")
    if not name:
        errors.append(t.gettext("name: empty"))
    elif len(name) > MAX_NAME:
        errors.append(t.format("name: at most {most} characters", most=MAX_NAME))
    kind = _value(raw, "kind")
    if kind not in KIND_SLUGS:
        errors.append(
            t.format(
                "kind: '{kind}' is not one of {kinds}",
                kind=kind,
                kinds=", ".join(sorted(KIND_SLUGS)),
            )
        )
    number = _value(raw, "registration_number") or None
    if number is not None:
        refusal = check_registration_number(number, locale)
        if refusal is not None:
            errors.append(f"registration_number: {refusal}")
    oblast_code, municipality = _place(
        _value(raw, "oblast"), _value(raw, "municipality"), errors, locale
    )
    sectors = tuple(s.strip() for s in _value(raw, "sectors").split(";") if s.strip())
    unknown = [s for s in sectors if s not in SECTOR_SLUGS]
    if unknown:
        errors.append(t.format("sectors: unknown {sectors}", sectors=", ".join(unknown)))
    website = _value(raw, "website") or None
    if website is not None and not re.match(r"^https?://[^\s/]+\.[^\s]+$", website):
        errors.append(t.gettext("website: an address starting with http:// or https://"))
    email = _value(raw, "email") or None
    if email is not None and not _EMAIL.match(email):
        errors.append(t.gettext("email: not an e-mail address"))
    phone = _value(raw, "phone") or None
    if phone is not None and not _PHONE.match(phone):
        errors.append(t.gettext("phone: digits, spaces and + ( ) / - only, 6 to 20 of them"))
    description = _value(raw, "description")
    if len(description) > MAX_DESCRIPTION:
        errors.append(t.format("description: at most {most} characters", most=MAX_DESCRIPTION))
    if not errors:
        report.row = OrganisationRow(
            name=name,
            kind=kind,
            registration_number=number,
            oblast=oblast_code,
            municipality=None if municipality is None else municipality.code,
            sectors=tuple(dict.fromkeys(sectors)),
            website=website,
            email=email,
            phone=phone,
            description=description,
        )
    return report


def _place(
    oblast_text: str, municipality_text: str, errors: list[str], locale: str
) -> tuple[str | None, Municipality | None]:
    """The oblast's code and the municipality named, resolved in either script."""
    t = translator(locale, "directory")
    oblast_code = None
    if oblast_text:
        key = search_key(oblast_text)
        found = [o.code for o in oblasts() if key in (o.code.lower(), search_key(o.name))]
        if not found:
            errors.append(t.format("oblast: no oblast '{oblast}'", oblast=oblast_text))
            return None, None
        oblast_code = found[0]
    if not municipality_text:
        return oblast_code, None
    candidates = find_municipalities(municipality_text, oblast_code)
    if not candidates:
        if oblast_code:
            message = t.format(
                "municipality: no municipality '{name}' in oblast {oblast}",
                name=municipality_text,
                oblast=OBLASTS[oblast_code],
            )
        else:
            message = t.format("municipality: no municipality '{name}'", name=municipality_text)
        errors.append(message)
        return oblast_code, None
    if len(candidates) > 1:
        errors.append(
            t.format(
                "municipality: '{name}' is in several oblasts: name the oblast",
                name=municipality_text,
            )
        )
        return oblast_code, None
    return candidates[0].oblast, candidates[0]
