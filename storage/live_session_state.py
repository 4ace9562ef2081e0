"""A room's live session as read: its parts, the agenda, the speaking queue, the floor.

The values storage/live_session.py gives back after each change, and the reads that build them
inside its transactions (and for `LiveSessionStore.state`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import StorageError
from storage.live_models import AgendaItemRecord, LiveSessionRecord, RaisedHandRecord
from storage.models import RoomMemberRecord, UserRecord
from storage.room_events import StoredEvent

__all__ = [
    "AgendaFull",
    "AgendaItem",
    "AgendaItemMissing",
    "Change",
    "Floor",
    "Hand",
    "NotAMember",
    "Part",
    "SessionState",
    "agenda_records",
    "live_record",
    "raised_hands",
    "read_state",
]


class Part(enum.StrEnum):
    """A part of the session; a change announces each part it touched."""

    AGENDA = "agenda"  # the items in order and the current one
    FLOOR = "floor"  # who speaks, since when, for how long
    QUEUE = "queue"  # the raised hands in order


class AgendaItemMissing(StorageError):
    """No agenda item with that id in that room."""


class AgendaFull(StorageError):
    """The agenda has MAX_AGENDA_ITEMS items already."""


class NotAMember(StorageError):
    """The floor goes to members of the room only."""


@dataclass(frozen=True)
class AgendaItem:
    id: int
    position: int  # 0: first
    title: str
    created_at: datetime


@dataclass(frozen=True)
class Hand:
    user_id: int
    name: str
    display_name: str
    raised_at: datetime


@dataclass(frozen=True)
class Floor:
    user_id: int
    name: str
    display_name: str
    since: datetime
    seconds: int | None  # None: no time limit

    @property
    def ends_at(self) -> datetime | None:
        return None if self.seconds is None else self.since + timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class SessionState:
    agenda: tuple[AgendaItem, ...]
    current_item_id: int | None
    queue: tuple[Hand, ...]
    floor: Floor | None


@dataclass(frozen=True)
class Change:
    """The session after a command, and the events it appended (none: nothing changed)."""

    state: SessionState
    events: tuple[StoredEvent, ...]

    @property
    def last_event_id(self) -> int | None:
        return self.events[-1].seq if self.events else None


async def agenda_records(session: AsyncSession, room_id: int) -> list[AgendaItemRecord]:
    query = (
        select(AgendaItemRecord)
        .where(AgendaItemRecord.room_id == room_id)
        .order_by(AgendaItemRecord.position, AgendaItemRecord.id)
    )
    return list(await session.scalars(query))


async def live_record(session: AsyncSession, room_id: int) -> LiveSessionRecord:
    live = await session.get(LiveSessionRecord, room_id)
    if live is None:
        live = LiveSessionRecord(room_id=room_id)
        session.add(live)
    return live


async def raised_hands(session: AsyncSession, room_id: int) -> list[Hand]:
    """The raised hands of the room's members, first raised first."""
    query = (
        select(
            RaisedHandRecord.user_id,
            UserRecord.name,
            UserRecord.display_name,
            RaisedHandRecord.raised_at,
        )
        .join(UserRecord, UserRecord.id == RaisedHandRecord.user_id)
        .join(
            RoomMemberRecord,
            (RoomMemberRecord.room_id == RaisedHandRecord.room_id)
            & (RoomMemberRecord.user_id == RaisedHandRecord.user_id),
        )
        .where(RaisedHandRecord.room_id == room_id)
        .order_by(RaisedHandRecord.raised_at, RaisedHandRecord.user_id)
    )
    rows = (await session.execute(query)).all()
    return [Hand(user_id, name, display, raised_at) for user_id, name, display, raised_at in rows]


async def read_state(session: AsyncSession, room_id: int) -> SessionState:
    agenda = tuple(
        AgendaItem(r.id, r.position, r.title, r.created_at)
        for r in await agenda_records(session, room_id)
    )
    live = await session.get(LiveSessionRecord, room_id)
    floor = None
    if live is not None and live.floor_user_id is not None and live.floor_since is not None:
        user = await session.get(UserRecord, live.floor_user_id)
        if user is not None:
            since, seconds = live.floor_since, live.floor_seconds
            floor = Floor(user.id, user.name, user.display_name, since, seconds)
    current = None if live is None else live.current_item_id
    return SessionState(agenda, current, tuple(await raised_hands(session, room_id)), floor)
