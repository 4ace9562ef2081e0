"""A room's numbered log of events: what live rooms replay and what every change announces.

Each event takes the room's next number by raising ``rooms.last_event_seq`` first in its
transaction (the row lock orders the room's writers, on SQLite and PostgreSQL alike, and
numbers have no gaps). A client that reconnects asks for the events after the last number it
saw. The stores of the things events describe (discussion.py, moderation.py, polls.py,
live_session.py, consultations.py) add their event with `next_event_seq` and `new_event` in
their own transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.errors import StorageError
from storage.models import RoomEventRecord, RoomRecord
from storage.records import detached


@dataclass(frozen=True)
class StoredEvent:
    room_id: int
    seq: int
    type: str
    actor_user_id: int | None
    payload: dict[str, Any]
    created_at: datetime


class RoomEvents:
    """The room's event log: append an event of its own, read the events after a number."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessionmaker

    async def append(
        self,
        room_id: int,
        type_: str,
        payload: dict[str, Any],
        *,
        actor_user_id: int | None,
        now: datetime,
    ) -> StoredEvent:
        """Append an event that changes nothing else (an agenda note, a poll tally, …)."""
        async with self._sessions() as session, session.begin():
            return await append_event(session, room_id, type_, actor_user_id, payload, now)

    async def events_after(self, room_id: int, after: int, limit: int) -> list[StoredEvent]:
        """The room's events numbered above ``after``, oldest first, at most ``limit``."""
        # columns, not ORM entities: a replay reads hundreds at a time (a resume after a
        # dropped connection), and building entities cost more than the query
        query = (
            select(
                RoomEventRecord.room_id,
                RoomEventRecord.seq,
                RoomEventRecord.type,
                RoomEventRecord.actor_user_id,
                RoomEventRecord.payload,
                RoomEventRecord.created_at,
            )
            .where(RoomEventRecord.room_id == room_id, RoomEventRecord.seq > after)
            .order_by(RoomEventRecord.seq)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [StoredEvent(*row) for row in await session.execute(query)]

    async def last_seq(self, room_id: int) -> int:
        """The number of the room's newest event (0: none yet)."""
        query = select(RoomRecord.last_event_seq).where(RoomRecord.id == room_id)
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)


async def next_event_seq(session: AsyncSession, room_id: int) -> int:
    """Take the room's next event number inside ``session``'s transaction.

    Make it the transaction's first statement: it takes the room row's write lock, which
    orders the room's writers. Raises StorageError for an unknown room.
    """
    result = await session.execute(
        update(RoomRecord)
        .where(RoomRecord.id == room_id)
        .values(last_event_seq=RoomRecord.last_event_seq + 1)
        .returning(RoomRecord.last_event_seq)
    )
    seq = result.scalar()
    if seq is None:
        raise StorageError(f"no room with id {room_id}")
    return int(seq)


def new_event(
    session: AsyncSession,
    room_id: int,
    seq: int,
    type_: str,
    actor_user_id: int | None,
    payload: dict[str, Any],
    now: datetime,
) -> StoredEvent:
    """Add the room event numbered ``seq`` (from `next_event_seq`) to the transaction."""
    record = RoomEventRecord(
        room_id=room_id,
        seq=seq,
        type=type_,
        actor_user_id=actor_user_id,
        payload=payload,
        created_at=now,
    )
    session.add(record)
    return detached(StoredEvent, record)


async def append_event(
    session: AsyncSession,
    room_id: int,
    type_: str,
    actor_user_id: int | None,
    payload: dict[str, Any],
    now: datetime,
) -> StoredEvent:
    seq = await next_event_seq(session, room_id)
    return new_event(session, room_id, seq, type_, actor_user_id, payload, now)
