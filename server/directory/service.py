"""The directory over stored organisations: profiles, search, representatives, verification,
CSV import and export (docs/directory.md).

Who may do what:

- any signed-in user may add an organisation, and becomes its first representative;
- its confirmed representatives and administrators edit it; a change of name or
  registration number clears the verified flag, which vouched for the old identity;
- administrators verify organisations and import files;
- any signed-in user may ask to represent an organisation; a confirmed representative or an
  administrator confirms; a representative may step down, and be removed by another one or
  by an administrator;
- everyone, anonymous callers included, reads profiles, searches and exports.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from server.directory import (
    DirectoryConflict,
    DirectoryDenied,
    ImportRefused,
    InvalidOrganisation,
    OrganisationNotFound,
    RepresentativeNotFound,
)
from server.directory.commands import (
    DirectorySearch,
    OrganisationChanges,
    OrganisationValues,
)
from server.directory.import_rows import (
    COLUMNS,
    EXPORT_ONLY,
    ImportReport,
    OrganisationRow,
    already_registered,
    check_file,
    check_row,
)
from server.directory.regions import OBLASTS, municipality, oblast
from server.directory.transliteration import index_words, search_key
from server.i18n import translatable
from storage.accounts import StoredUser
from storage.audit import AuditLog
from storage.directory import (
    DirectoryQuery,
    DirectoryStore,
    DuplicateRegistration,
    OrganisationFields,
    StoredOrganisation,
    StoredRepresentative,
)
from storage.models import utc_now

N_ = translatable("problems")
MAX_QUERY_WORDS = 8
MAX_EXPORT = 50_000
EXPORT_PAGE = 1_000
SLUG_LENGTH = 60


@dataclass(frozen=True)
class ImportOutcome:
    report: ImportReport
    created: list[StoredOrganisation]
    dry_run: bool


def fields_of(row: OrganisationRow) -> OrganisationFields:
    """What the store keeps of a checked row: its values, sort name and search words."""
    return OrganisationFields(
        name=row.name,
        kind=row.kind,
        registration_number=row.registration_number,
        oblast=row.oblast,
        municipality=row.municipality,
        description=row.description,
        website=row.website,
        email=row.email,
        phone=row.phone,
        sectors=row.sectors,
        sort_name=unicodedata.normalize("NFKC", row.name).casefold(),
        search_words=index_words(row.name, row.description, row.registration_number or ""),
    )


def slug_base(name: str) -> str:
    """The organisation's address in Latin: "Сдружение Зелени Родопи" → sdruzhenie-zeleni-rodopi."""
    words, length = [], 0
    for word in search_key(name).split():
        if length + len(word) > SLUG_LENGTH:
            break
        words.append(word)
        length += len(word) + 1
    return "-".join(words) or "organisation"


class Directory:
    def __init__(
        self,
        store: DirectoryStore,
        audit: AuditLog,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self._audit = audit
        self._clock = clock

    # -- reading -------------------------------------------------------------------------

    async def get(self, slug: str) -> StoredOrganisation:
        found = await self.store.get(slug)
        if found is None:
            raise OrganisationNotFound(slug)
        return found

    async def search(self, query: DirectorySearch) -> tuple[int, list[StoredOrganisation]]:
        return await self.store.search(self._query(query))

    def _query(self, query: DirectorySearch) -> DirectoryQuery:
        if query.oblast is not None and oblast(query.oblast) is None:
            raise InvalidOrganisation("oblast", f"oblast: no oblast {query.oblast!r}")
        if query.municipality is not None and municipality(query.municipality) is None:
            raise InvalidOrganisation(
                "municipality", f"municipality: no municipality {query.municipality!r}"
            )
        words = tuple(search_key(query.q).split())
        if len(words) > MAX_QUERY_WORDS:
            raise InvalidOrganisation("q", f"q: at most {MAX_QUERY_WORDS} words")
        return DirectoryQuery(
            words=words,
            oblast=query.oblast,
            municipality=query.municipality,
            kind=query.kind,
            sector=query.sector,
            verified=query.verified,
            limit=query.limit,
            offset=query.offset,
        )

    async def export(self, query: DirectorySearch) -> str:
        """Every organisation the query matches as CSV (the import's columns, then the
        read-only ones), with a byte-order mark so that spreadsheets read it as UTF-8."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS + EXPORT_ONLY)
        base = self._query(query)
        offset = 0
        while offset < MAX_EXPORT:
            page_query = DirectoryQuery(**{**base.__dict__, "limit": EXPORT_PAGE, "offset": offset})
            _, page = await self.store.search(page_query)
            for organisation in page:
                writer.writerow(_csv_row(organisation))
            if len(page) < EXPORT_PAGE:
                break
            offset += EXPORT_PAGE
        return out.getvalue()

    async def representatives(
        self, caller: StoredUser | None, organisation: StoredOrganisation
    ) -> list[StoredRepresentative]:
        """Confirmed representatives for everyone; pending requests too for those who may
        answer them."""
        listed = await self.store.representatives(organisation.id)
        if caller is not None and await self._may_manage(caller, organisation):
            return listed
        return [r for r in listed if r.state == "confirmed"]

    async def represented_by(self, user: StoredUser) -> list[StoredOrganisation]:
        return await self.store.represented_by(user.id)

    async def speaks_for(self, user: StoredUser, slug: str) -> StoredOrganisation:
        """The organisation, if the user is its confirmed representative (else Denied)."""
        organisation = await self.get(slug)
        if await self.store.standing(organisation.id, user.id) != "confirmed":
            raise DirectoryDenied(N_("you do not represent {name}"), {"name": organisation.name})
        return organisation

    # -- writing -------------------------------------------------------------------------

    async def create(
        self, caller: StoredUser, values: OrganisationValues, address: str | None
    ) -> StoredOrganisation:
        row = _checked(msgspec.structs.asdict(values))
        try:
            [created] = await self.store.create_many(
                [(fields_of(row), slug_base(row.name))],
                caller.id,
                self._clock(),
                representative=caller.id,
            )
        except DuplicateRegistration as exc:
            raise _taken(exc.number) from None
        await self._record("organisation.create", caller, address, created)
        return created

    async def update(
        self,
        caller: StoredUser,
        organisation: StoredOrganisation,
        changes: OrganisationChanges,
        address: str | None,
    ) -> StoredOrganisation:
        await self._require_manager(caller, organisation)
        values = _values_of(organisation)
        values.update(
            {
                name: value
                for name, value in msgspec.structs.asdict(changes).items()
                if value is not msgspec.UNSET
            }
        )
        row = _checked(values)
        try:
            updated = await self.store.update(organisation.id, fields_of(row), self._clock())
        except DuplicateRegistration as exc:
            raise _taken(exc.number) from None
        if updated is None:
            raise OrganisationNotFound(organisation.slug)
        identity_changed = (row.name, row.registration_number) != (
            organisation.name,
            organisation.registration_number,
        )
        if organisation.verified_at is not None and identity_changed:
            await self.store.set_verified(organisation.id, None, None)
            updated = await self.get(organisation.slug)
        await self._record("organisation.update", caller, address, updated)
        return updated

    async def verify(
        self,
        caller: StoredUser,
        organisation: StoredOrganisation,
        verified: bool,
        address: str | None,
    ) -> StoredOrganisation:
        if not caller.is_admin:
            raise DirectoryDenied(N_("only administrators verify organisations"))
        at = self._clock() if verified else None
        if verified and organisation.verified_at is not None:
            return organisation
        await self.store.set_verified(organisation.id, caller.id, at)
        action = "organisation.verify" if verified else "organisation.unverify"
        await self._record(action, caller, address, organisation)
        return await self.get(organisation.slug)

    async def import_file(
        self,
        caller: StoredUser,
        text: str,
        *,
        dry_run: bool,
        address: str | None,
        locale: str = "en",
    ) -> ImportOutcome:
        """Check the whole file; store every row, or nothing (docs/directory.md)."""
        if not caller.is_admin:
            raise DirectoryDenied(N_("only administrators import organisations"))
        report = check_file(text, locale)
        await self._mark_registered(report, locale)
        if dry_run:
            return ImportOutcome(report, [], dry_run=True)
        if not report.valid:
            raise ImportRefused(
                report.errors,
                [{"line": r.line, "errors": r.errors} for r in report.invalid_rows],
            )
        rows = [(fields_of(r.row), slug_base(r.row.name)) for r in report.rows if r.row]
        try:
            created = await self.store.create_many(rows, caller.id, self._clock())
        except DuplicateRegistration as exc:  # stored by someone else since the check
            raise _taken(exc.number) from None
        await self._audit.record(
            "organisation.import",
            actor_user_id=caller.id,
            address=address,
            details={"created": len(created)},
        )
        return ImportOutcome(report, created, dry_run=False)

    async def request(self, caller: StoredUser, organisation: StoredOrganisation) -> str:
        return await self.store.request(organisation.id, caller.id, self._clock())

    async def confirm(
        self, caller: StoredUser, organisation: StoredOrganisation, user_id: int
    ) -> None:
        await self._require_manager(caller, organisation)
        if await self.store.standing(organisation.id, user_id) is None and not caller.is_admin:
            raise RepresentativeNotFound()  # representatives confirm requests; admins may add
        if not await self.store.confirm(organisation.id, user_id, caller.id, self._clock()):
            raise RepresentativeNotFound()
        await self._record("organisation.representative", caller, None, organisation, user_id)

    async def remove(
        self, caller: StoredUser, organisation: StoredOrganisation, user_id: int
    ) -> None:
        if user_id != caller.id:
            await self._require_manager(caller, organisation)
        if not await self.store.remove(organisation.id, user_id):
            raise RepresentativeNotFound()
        await self._record("organisation.unrepresent", caller, None, organisation, user_id)

    # -- helpers -------------------------------------------------------------------------

    async def _may_manage(self, caller: StoredUser, organisation: StoredOrganisation) -> bool:
        if caller.is_admin:
            return True
        return await self.store.standing(organisation.id, caller.id) == "confirmed"

    async def _require_manager(self, caller: StoredUser, organisation: StoredOrganisation) -> None:
        if not await self._may_manage(caller, organisation):
            raise DirectoryDenied(
                N_("only the organisation's confirmed representatives and administrators may")
            )

    async def _mark_registered(self, report: ImportReport, locale: str) -> None:
        """A row whose registration number is already in the directory is a problem of
        that row: an import adds organisations, it does not overwrite them."""
        numbered = {r.row.registration_number: r for r in report.rows if r.row}
        numbers = [n for n in numbered if n is not None]
        for number, name in (await self.store.registered(numbers)).items():
            row = numbered[number]
            row.errors.append(already_registered(number, name, locale))
            row.row = None

    async def _record(
        self,
        action: str,
        caller: StoredUser,
        address: str | None,
        organisation: StoredOrganisation,
        user_id: int | None = None,
    ) -> None:
        details: dict[str, Any] = {"organisation": organisation.slug}
        if user_id is not None:
            details["user_id"] = user_id
        await self._audit.record(action, actor_user_id=caller.id, address=address, details=details)


def _checked(values: dict[str, Any]) -> OrganisationRow:
    """The values checked by the CSV rules, or InvalidOrganisation naming the first field."""
    code = values.get("municipality")
    raw: dict[str | None, str | None] = {
        name: "" if values.get(name) is None else str(values[name])
        for name in COLUMNS
        if name not in ("sectors", "municipality")
    }
    raw["sectors"] = ";".join(values.get("sectors") or ())
    if code:
        found = municipality(code)
        if found is None:
            raise InvalidOrganisation("municipality", f"municipality: no municipality {code!r}")
        if values.get("oblast") and values["oblast"] != found.oblast:
            raise InvalidOrganisation(
                "municipality",
                f"municipality: {found.name} is not in oblast {OBLASTS.get(values['oblast'])}",
            )
        raw["oblast"], raw["municipality"] = found.oblast, found.name
    report = check_row(0, raw)
    if report.row is None:
        first = report.errors[0]
        field = first.split(":", 1)[0]
        raise InvalidOrganisation(field if field in COLUMNS else "body", first)
    return report.row


def _values_of(organisation: StoredOrganisation) -> dict[str, Any]:
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "registration_number": organisation.registration_number,
        "oblast": organisation.oblast,
        "municipality": organisation.municipality,
        "sectors": list(organisation.sectors),
        "website": organisation.website,
        "email": organisation.email,
        "phone": organisation.phone,
        "description": organisation.description,
    }


def _csv_row(organisation: StoredOrganisation) -> Sequence[str]:
    found = municipality(organisation.municipality) if organisation.municipality else None
    values = {
        **{k: "" if v is None else str(v) for k, v in _values_of(organisation).items()},
        "municipality": found.name if found else "",
        "sectors": ";".join(organisation.sectors),
        "slug": organisation.slug,
        "verified_at": organisation.verified_at.isoformat() if organisation.verified_at else "",
    }
    return [values[column] for column in COLUMNS + EXPORT_ONLY]


def _taken(number: str) -> DirectoryConflict:
    return DirectoryConflict(number)
