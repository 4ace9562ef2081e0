"""Who represents an organisation of the directory: a request, its confirmation, removal.

The base of `storage.directory.DirectoryStore`, which adds the organisations themselves; the
domain (server/directory/) decides who may confirm or remove.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from storage.database import Database
from storage.directory_models import RepresentativeRecord
from storage.models import UserRecord

__all__ = ["Representatives", "StoredRepresentative"]


@dataclass(frozen=True)
class StoredRepresentative:
    user_id: int
    name: str
    display_name: str
    state: str
    requested_at: datetime
    confirmed_at: datetime | None


class Representatives:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker

    async def representatives(self, organisation_id: int) -> list[StoredRepresentative]:
        query = (
            select(RepresentativeRecord, UserRecord.name, UserRecord.display_name)
            .join(UserRecord, UserRecord.id == RepresentativeRecord.user_id)
            .where(RepresentativeRecord.organisation_id == organisation_id)
            .order_by(RepresentativeRecord.requested_at, RepresentativeRecord.user_id)
        )
        async with self._sessions() as session:
            rows = await session.execute(query)
            return [
                StoredRepresentative(
                    r.user_id, name, display, r.state, r.requested_at, r.confirmed_at
                )
                for r, name, display in rows
            ]

    async def standing(self, organisation_id: int, user_id: int) -> str | None:
        """The user's state as a representative of the organisation, None if neither."""
        async with self._sessions() as session:
            record = await session.get(RepresentativeRecord, (organisation_id, user_id))
            return None if record is None else record.state

    async def request(self, organisation_id: int, user_id: int, now: datetime) -> str:
        """Ask to represent the organisation; the state after (a repeated request changes
        nothing)."""
        async with self._database.writing() as session:
            record = await session.get(RepresentativeRecord, (organisation_id, user_id))
            if record is not None:
                return record.state
            session.add(
                RepresentativeRecord(
                    organisation_id=organisation_id,
                    user_id=user_id,
                    state="pending",
                    requested_at=now,
                )
            )
        return "pending"

    async def confirm(self, organisation_id: int, user_id: int, by: int, now: datetime) -> bool:
        """Confirm a pending request (or add the user directly); False if no such user."""
        async with self._database.writing() as session:
            if await session.get(UserRecord, user_id) is None:
                return False
            record = await session.get(RepresentativeRecord, (organisation_id, user_id))
            if record is None:
                record = RepresentativeRecord(
                    organisation_id=organisation_id, user_id=user_id, requested_at=now
                )
                session.add(record)
            if record.state != "confirmed":
                record.state, record.confirmed_by, record.confirmed_at = "confirmed", by, now
        return True

    async def remove(self, organisation_id: int, user_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(RepresentativeRecord).where(
                    RepresentativeRecord.organisation_id == organisation_id,
                    RepresentativeRecord.user_id == user_id,
                )
            )
        return bool(getattr(result, "rowcount", 0))
