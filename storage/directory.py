"""The directory's store: organisations, their sectors and representatives, and search.

The domain (server/directory/) checks every value and computes each organisation's sort name
and search words; this module stores them and answers queries. A search is a conjunction of
``search_words LIKE '% word%'`` (each query word begins a word of the organisation) and the
filters, ordered by the case-folded name in code-point order on both databases (``COLLATE
"C"`` on PostgreSQL, SQLite's own binary order), so a page means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.directory_models import (
    OrganisationRecord,
    OrganisationSectorRecord,
    RepresentativeRecord,
)
from storage.errors import StorageError
from storage.representatives import Representatives, StoredRepresentative

__all__ = [
    "DirectoryQuery",
    "DirectoryStore",
    "DuplicateRegistration",
    "OrganisationFields",
    "StoredOrganisation",
    "StoredRepresentative",
]


class DuplicateRegistration(StorageError):
    """Another organisation already has this registration number."""

    def __init__(self, number: str) -> None:
        super().__init__(f"an organisation with registration number {number} exists")
        self.number = number


@dataclass(frozen=True)
class OrganisationFields:
    """An organisation's values as the domain checked them, with its sort name and index."""

    name: str
    kind: str
    registration_number: str | None
    oblast: str | None
    municipality: str | None
    description: str
    website: str | None
    email: str | None
    phone: str | None
    sectors: tuple[str, ...]
    sort_name: str
    search_words: str


@dataclass(frozen=True)
class StoredOrganisation:
    id: int
    slug: str
    name: str
    kind: str
    registration_number: str | None
    oblast: str | None
    municipality: str | None
    description: str
    website: str | None
    email: str | None
    phone: str | None
    sectors: tuple[str, ...]
    verified_at: datetime | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DirectoryQuery:
    words: tuple[str, ...] = ()  # search keys; each must begin a word of the organisation
    oblast: str | None = None
    municipality: str | None = None
    kind: str | None = None
    sector: str | None = None
    verified: bool | None = None
    limit: int = 50
    offset: int = 0
    ids: tuple[int, ...] = field(default=())  # restrict to these (empty: no restriction)


_SCALARS = (
    "name",
    "kind",
    "registration_number",
    "oblast",
    "municipality",
    "description",
    "website",
    "email",
    "phone",
    "sort_name",
    "search_words",
)


class DirectoryStore(Representatives):
    """Organisations, their sectors and search; their representatives (the base class)."""

    async def create_many(
        self,
        organisations: Sequence[tuple[OrganisationFields, str]],
        created_by: int | None,
        now: datetime,
        *,
        representative: int | None = None,
    ) -> list[StoredOrganisation]:
        """Store every (fields, slug base) in one transaction: all or none. Slugs are made
        unique here (``base``, ``base-2``…). ``representative`` becomes each one's first
        confirmed representative. DuplicateRegistration if a number is already stored."""
        try:
            async with self._database.writing() as session:
                taken = await self._slugs_like(session, {base for _, base in organisations})
                records = []
                for fields, base in organisations:
                    slug = _unique_slug(base, taken)
                    taken.add(slug)
                    record = OrganisationRecord(
                        slug=slug,
                        **{name: getattr(fields, name) for name in _SCALARS},
                        created_by=created_by,
                        created_at=now,
                        updated_at=now,
                    )
                    session.add(record)
                    records.append(record)
                await session.flush()
                for record, (fields, _) in zip(records, organisations, strict=True):
                    session.add_all(
                        OrganisationSectorRecord(organisation_id=record.id, sector=sector)
                        for sector in fields.sectors
                    )
                    if representative is not None:
                        session.add(
                            RepresentativeRecord(
                                organisation_id=record.id,
                                user_id=representative,
                                state="confirmed",
                                requested_at=now,
                                confirmed_by=representative,
                                confirmed_at=now,
                            )
                        )
        except IntegrityError as exc:
            number = await self._duplicate_number(
                [f.registration_number for f, _ in organisations if f.registration_number]
            )
            if number is None:
                raise
            raise DuplicateRegistration(number) from exc
        return [
            _stored(record, fields.sectors)
            for record, (fields, _) in zip(records, organisations, strict=True)
        ]

    async def update(
        self, organisation_id: int, fields: OrganisationFields, now: datetime
    ) -> StoredOrganisation | None:
        values = {name: getattr(fields, name) for name in _SCALARS}
        try:
            async with self._database.writing() as session:
                record = await session.get(OrganisationRecord, organisation_id)
                if record is None:
                    return None
                for name, value in values.items():
                    setattr(record, name, value)
                record.updated_at = now
                await session.execute(
                    delete(OrganisationSectorRecord).where(
                        OrganisationSectorRecord.organisation_id == organisation_id
                    )
                )
                session.add_all(
                    OrganisationSectorRecord(organisation_id=organisation_id, sector=sector)
                    for sector in fields.sectors
                )
        except IntegrityError as exc:
            if fields.registration_number is None:
                raise
            raise DuplicateRegistration(fields.registration_number) from exc
        return _stored(record, fields.sectors)

    async def set_verified(self, organisation_id: int, by: int | None, at: datetime | None) -> None:
        """Mark verified (``at`` a time) or not verified (None)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OrganisationRecord)
                .where(OrganisationRecord.id == organisation_id)
                .values(verified_at=at, verified_by=by if at is not None else None)
            )

    async def get(self, slug: str) -> StoredOrganisation | None:
        async with self._sessions() as session:
            record = await session.scalar(
                select(OrganisationRecord).where(OrganisationRecord.slug == slug)
            )
            if record is None:
                return None
            sectors = await self._sectors(session, [record.id])
        return _stored(record, sectors.get(record.id, ()))

    async def registered(self, numbers: Sequence[str]) -> dict[str, str]:
        """Which of these registration numbers are stored: number → organisation name."""
        found: dict[str, str] = {}
        async with self._sessions() as session:
            for start in range(0, len(numbers), 500):
                rows = await session.execute(
                    select(OrganisationRecord.registration_number, OrganisationRecord.name).where(
                        OrganisationRecord.registration_number.in_(numbers[start : start + 500])
                    )
                )
                found.update({number: name for number, name in rows if number is not None})
        return found

    async def search(self, query: DirectoryQuery) -> tuple[int, list[StoredOrganisation]]:
        """The number of organisations the query matches, and one page of them in order."""
        conditions = _conditions(query)
        counted = select(func.count()).select_from(OrganisationRecord).where(*conditions)
        async with self._sessions() as session:
            total = await session.scalar(counted) or 0
            page = await session.scalars(
                self._ordered(select(OrganisationRecord).where(*conditions))
                .limit(query.limit)
                .offset(query.offset)
            )
            records = list(page)
            sectors = await self._sectors(session, [r.id for r in records])
        return total, [_stored(r, sectors.get(r.id, ())) for r in records]

    async def represented_by(self, user_id: int) -> list[StoredOrganisation]:
        """The organisations the user is a confirmed representative of, by name."""
        mine = select(RepresentativeRecord.organisation_id).where(
            RepresentativeRecord.user_id == user_id, RepresentativeRecord.state == "confirmed"
        )
        async with self._sessions() as session:
            records = list(
                await session.scalars(
                    self._ordered(select(OrganisationRecord).where(OrganisationRecord.id.in_(mine)))
                )
            )
            sectors = await self._sectors(session, [r.id for r in records])
        return [_stored(r, sectors.get(r.id, ())) for r in records]

    def _ordered(self, query: Select[OrganisationRecord]) -> Select[OrganisationRecord]:
        sort_name = OrganisationRecord.sort_name
        if self._database.dialect == "postgresql":
            return query.order_by(sort_name.collate("C"), OrganisationRecord.id)
        return query.order_by(sort_name, OrganisationRecord.id)

    async def _sectors(
        self, session: AsyncSession, ids: Sequence[int]
    ) -> dict[int, tuple[str, ...]]:
        if not ids:
            return {}
        rows = await session.execute(
            select(OrganisationSectorRecord.organisation_id, OrganisationSectorRecord.sector)
            .where(OrganisationSectorRecord.organisation_id.in_(ids))
            .order_by(OrganisationSectorRecord.sector)
        )
        found: dict[int, list[str]] = {}
        for organisation_id, sector in rows:
            found.setdefault(organisation_id, []).append(sector)
        return {key: tuple(value) for key, value in found.items()}

    async def _slugs_like(self, session: AsyncSession, bases: set[str]) -> set[str]:
        taken: set[str] = set()
        for base in bases:
            rows = await session.scalars(
                select(OrganisationRecord.slug).where(
                    OrganisationRecord.slug.like(f"{base}%")  # bases are [a-z0-9-] only
                )
            )
            taken.update(rows)
        return taken

    async def _duplicate_number(self, numbers: list[str]) -> str | None:
        found = await self.registered(numbers)
        return next((number for number in numbers if number in found), None)


def _unique_slug(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def _conditions(query: DirectoryQuery) -> list[ColumnElement[bool]]:
    record = OrganisationRecord
    conditions: list[ColumnElement[bool]] = [
        record.search_words.like(f"% {word}%") for word in query.words
    ]
    for column, value in (
        (record.oblast, query.oblast),
        (record.municipality, query.municipality),
        (record.kind, query.kind),
    ):
        if value is not None:
            conditions.append(column == value)
    if query.sector is not None:
        conditions.append(
            record.id.in_(
                select(OrganisationSectorRecord.organisation_id).where(
                    OrganisationSectorRecord.sector == query.sector
                )
            )
        )
    if query.verified is not None:
        verified = record.verified_at.is_not(None)
        conditions.append(verified if query.verified else ~verified)
    if query.ids:
        conditions.append(record.id.in_(query.ids))
    return conditions or [and_(True)]


def _stored(record: OrganisationRecord, sectors: Sequence[str]) -> StoredOrganisation:
    return StoredOrganisation(
        id=record.id,
        slug=record.slug,
        name=record.name,
        kind=record.kind,
        registration_number=record.registration_number,
        oblast=record.oblast,
        municipality=record.municipality,
        description=record.description,
        website=record.website,
        email=record.email,
        phone=record.phone,
        sectors=tuple(sorted(sectors)),
        verified_at=record.verified_at,
        created_by=record.created_by,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
