"""A room's planned live sessions (storage/schedule_models.py): the calendar feeds' events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from storage.database import Database
from storage.models import RoomRecord
from storage.records import detached
from storage.schedule_models import PlannedSessionRecord

__all__ = ["PlannedSessionStore", "StoredPlannedSession"]


@dataclass(frozen=True)
class StoredPlannedSession:
    id: int
    room_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    created_by: int | None
    created_at: datetime


class PlannedSessionStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessionmaker

    async def add(
        self,
        room_id: int,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        created_by: int,
        now: datetime,
    ) -> StoredPlannedSession:
        record = PlannedSessionRecord(
            room_id=room_id,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=created_by,
            created_at=now,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        return detached(StoredPlannedSession, record)

    async def count_ahead(self, room_id: int, now: datetime) -> int:
        query = select(func.count()).where(
            PlannedSessionRecord.room_id == room_id, PlannedSessionRecord.ends_at > now
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def in_room(self, room_id: int, since: datetime) -> list[StoredPlannedSession]:
        """The room's sessions that end after ``since``, the soonest first."""
        query = (
            select(PlannedSessionRecord)
            .where(PlannedSessionRecord.room_id == room_id, PlannedSessionRecord.ends_at > since)
            .order_by(PlannedSessionRecord.starts_at, PlannedSessionRecord.id)
        )
        async with self._sessions() as session:
            return [detached(StoredPlannedSession, r) for r in await session.scalars(query)]

    async def cancel(self, room_id: int, session_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(PlannedSessionRecord).where(
                    PlannedSessionRecord.room_id == room_id,
                    PlannedSessionRecord.id == session_id,
                )
            )
        return bool(getattr(result, "rowcount", 0))

    async def public(
        self, *, room_id: int | None, since: datetime, limit: int
    ) -> list[tuple[StoredPlannedSession, str, str]]:
        """Sessions of public rooms ending after ``since`` with the room's slug and title."""
        query = (
            select(PlannedSessionRecord, RoomRecord.slug, RoomRecord.title)
            .join(RoomRecord, RoomRecord.id == PlannedSessionRecord.room_id)
            .where(
                RoomRecord.visibility == "public",
                RoomRecord.archived_at.is_(None),
                PlannedSessionRecord.ends_at > since,
            )
            .order_by(PlannedSessionRecord.starts_at, PlannedSessionRecord.id)
            .limit(limit)
        )
        if room_id is not None:
            query = query.where(PlannedSessionRecord.room_id == room_id)
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [(detached(StoredPlannedSession, r), slug, title) for r, slug, title in rows]
