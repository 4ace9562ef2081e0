"""A room's live session: the agenda and its current item, the speaking queue, the floor.

The same rule as storage/discussion.py: every change is one transaction that bumps
``rooms.last_event_seq`` first (the room's row lock orders the writers) and appends the
numbered events announcing it. A change touches one or two parts of the session (`Part`);
each touched part gets one event describing that part as a whole, after the change. A command
that changes nothing appends nothing and gives its number back.

The queue is in ``raised_at`` order; a hand is stamped strictly after the room's newest one,
so two hands raised within the clock's resolution keep the order in which they were raised.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.errors import StorageError
from storage.live_models import AgendaItemRecord, LiveSessionRecord, RaisedHandRecord
from storage.models import TITLE_LENGTH, RoomMemberRecord, UserRecord
from storage.room_events import StoredEvent, new_event, next_event_seq

__all__ = [
    "MAX_AGENDA_ITEMS",
    "MAX_TITLE_CHARS",
    "AgendaFull",
    "AgendaItem",
    "AgendaItemMissing",
    "Change",
    "Floor",
    "Hand",
    "LiveSessionStore",
    "NotAMember",
    "Part",
    "SessionState",
]

MAX_AGENDA_ITEMS = 200  # every agenda event carries the whole agenda
MAX_TITLE_CHARS = TITLE_LENGTH
_TICK = timedelta(microseconds=1)


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


class _SessionUnchanged(Exception):
    """Raised inside a transaction to roll it back when there is nothing to record."""


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


# the event announcing a part: its type and payload, given the session after the change
Describe = Callable[[Part, SessionState], tuple[str, dict[str, Any]]]
# a change inside the transaction: the parts it touched, in the order to announce them
_Work = Callable[[AsyncSession], Awaitable[Sequence[Part]]]


class LiveSessionStore:
    """Reads and changes a room's live session; every method is one unit of work."""

    def __init__(self, database: Database, describe: Describe) -> None:
        self._sessions = database.sessionmaker
        self._describe = describe

    async def state(self, room_id: int) -> SessionState:
        async with self._sessions() as session:
            return await _state(session, room_id)

    # -- the agenda ------------------------------------------------------------------------
    async def add_item(
        self,
        room_id: int,
        title: str,
        position: int | None,
        *,
        actor_user_id: int | None,
        now: datetime,
    ) -> tuple[int, Change]:
        """Add an item at ``position`` (None or past the end: last), shifting the ones after
        it; its id and the change. Raises AgendaFull."""
        added: list[AgendaItemRecord] = []

        async def work(session: AsyncSession) -> Sequence[Part]:
            items = await _agenda(session, room_id)
            if len(items) >= MAX_AGENDA_ITEMS:
                raise AgendaFull(f"an agenda has at most {MAX_AGENDA_ITEMS} items")
            record = AgendaItemRecord(room_id=room_id, position=0, title=title, created_at=now)
            session.add(record)
            items.insert(len(items) if position is None else position, record)
            _renumber(items)
            await session.flush()
            added.append(record)
            return [Part.AGENDA]

        change = await self._change(room_id, actor_user_id, now, work)
        return added[0].id, change

    async def move_item(
        self, room_id: int, item_id: int, position: int, *, actor_user_id: int | None, now: datetime
    ) -> Change:
        """Move an item to ``position`` (past the end: last); AgendaItemMissing."""

        async def work(session: AsyncSession) -> Sequence[Part]:
            items = await _agenda(session, room_id)
            record = _find(items, item_id)
            target = min(position, len(items) - 1)
            if items.index(record) == target:
                return []
            items.remove(record)
            items.insert(target, record)
            _renumber(items)
            return [Part.AGENDA]

        return await self._change(room_id, actor_user_id, now, work)

    async def remove_item(
        self, room_id: int, item_id: int, *, actor_user_id: int | None, now: datetime
    ) -> Change:
        """Remove an item (if it was the current one, there is none); AgendaItemMissing."""

        async def work(session: AsyncSession) -> Sequence[Part]:
            items = await _agenda(session, room_id)
            record = _find(items, item_id)
            live = await session.get(LiveSessionRecord, room_id)
            if live is not None and live.current_item_id == item_id:
                live.current_item_id = None
                await session.flush()
            items.remove(record)
            await session.delete(record)
            await session.flush()
            _renumber(items)
            return [Part.AGENDA]

        return await self._change(room_id, actor_user_id, now, work)

    async def set_current(
        self, room_id: int, item_id: int | None, *, actor_user_id: int | None, now: datetime
    ) -> Change:
        """Make an item the current one (None: none); AgendaItemMissing."""

        async def work(session: AsyncSession) -> Sequence[Part]:
            if item_id is not None:
                _find(await _agenda(session, room_id), item_id)
            live = await _live(session, room_id)
            if live.current_item_id == item_id:
                return []
            live.current_item_id = item_id
            return [Part.AGENDA]

        return await self._change(room_id, actor_user_id, now, work)

    # -- the speaking queue ----------------------------------------------------------------
    async def raise_hand(self, room_id: int, user_id: int, *, now: datetime) -> Change:
        """Join the end of the queue; a hand already raised keeps its place (no event)."""

        async def work(session: AsyncSession) -> Sequence[Part]:
            if await session.get(RaisedHandRecord, (room_id, user_id)) is not None:
                return []
            newest = await session.scalar(
                select(RaisedHandRecord.raised_at)
                .where(RaisedHandRecord.room_id == room_id)
                .order_by(RaisedHandRecord.raised_at.desc())
                .limit(1)
            )
            stamp = now if newest is None or newest < now else newest + _TICK
            session.add(RaisedHandRecord(room_id=room_id, user_id=user_id, raised_at=stamp))
            return [Part.QUEUE]

        return await self._change(room_id, user_id, now, work)

    async def lower_hand(
        self, room_id: int, user_id: int, *, actor_user_id: int | None, now: datetime
    ) -> Change:
        """Leave the queue (one's own hand, or a moderator lowering it); no event if it was
        not raised."""

        async def work(session: AsyncSession) -> Sequence[Part]:
            return [Part.QUEUE] if await _drop_hand(session, room_id, user_id) else []

        return await self._change(room_id, actor_user_id, now, work)

    # -- the floor -------------------------------------------------------------------------
    async def give_floor(
        self,
        room_id: int,
        user_id: int,
        seconds: int | None,
        *,
        actor_user_id: int | None,
        now: datetime,
    ) -> Change:
        """The floor to a member from now, for ``seconds`` (None: no limit); their raised hand
        is lowered. Giving it again restarts the time. Raises NotAMember."""

        async def work(session: AsyncSession) -> Sequence[Part]:
            member = await session.get(RoomMemberRecord, (room_id, user_id))
            if member is None:
                raise NotAMember("the floor goes to members of the room")
            return await _grant(session, room_id, user_id, seconds, now)

        return await self._change(room_id, actor_user_id, now, work)

    async def end_floor(self, room_id: int, *, actor_user_id: int | None, now: datetime) -> Change:
        """Nobody has the floor (no event if nobody had it)."""

        async def work(session: AsyncSession) -> Sequence[Part]:
            live = await session.get(LiveSessionRecord, room_id)
            if live is None or live.floor_user_id is None:
                return []
            _clear_floor(live)
            return [Part.FLOOR]

        return await self._change(room_id, actor_user_id, now, work)

    async def next_speaker(
        self, room_id: int, seconds: int | None, *, actor_user_id: int | None, now: datetime
    ) -> Change:
        """The floor to the first in the queue (their hand lowered), or to nobody when the
        queue is empty."""

        async def work(session: AsyncSession) -> Sequence[Part]:
            queue = await _queue(session, room_id)
            if queue:
                return await _grant(session, room_id, queue[0].user_id, seconds, now)
            live = await session.get(LiveSessionRecord, room_id)
            if live is None or live.floor_user_id is None:
                return []
            _clear_floor(live)
            return [Part.FLOOR]

        return await self._change(room_id, actor_user_id, now, work)

    # --------------------------------------------------------------------------------------
    async def _change(
        self, room_id: int, actor_user_id: int | None, now: datetime, work: _Work
    ) -> Change:
        try:
            async with self._sessions() as session, session.begin():
                seq = await next_event_seq(session, room_id)  # first: takes the room's write lock
                parts = await work(session)
                if not parts:
                    raise _SessionUnchanged  # rolls back: the number is given back
                await session.flush()
                state = await _state(session, room_id)
                events: list[StoredEvent] = []
                for part in parts:
                    if events:
                        seq = await next_event_seq(session, room_id)
                    type_, payload = self._describe(part, state)
                    events.append(
                        new_event(session, room_id, seq, type_, actor_user_id, payload, now)
                    )
                return Change(state, tuple(events))
        except _SessionUnchanged:
            return Change(await self.state(room_id), ())


async def _agenda(session: AsyncSession, room_id: int) -> list[AgendaItemRecord]:
    query = (
        select(AgendaItemRecord)
        .where(AgendaItemRecord.room_id == room_id)
        .order_by(AgendaItemRecord.position, AgendaItemRecord.id)
    )
    return list(await session.scalars(query))


def _find(items: list[AgendaItemRecord], item_id: int) -> AgendaItemRecord:
    for record in items:
        if record.id == item_id:
            return record
    raise AgendaItemMissing(f"no agenda item {item_id} in this room")


def _renumber(items: list[AgendaItemRecord]) -> None:
    for position, record in enumerate(items):
        if record.position != position:
            record.position = position


async def _live(session: AsyncSession, room_id: int) -> LiveSessionRecord:
    live = await session.get(LiveSessionRecord, room_id)
    if live is None:
        live = LiveSessionRecord(room_id=room_id)
        session.add(live)
    return live


def _clear_floor(live: LiveSessionRecord) -> None:
    live.floor_user_id, live.floor_since, live.floor_seconds = None, None, None


async def _drop_hand(session: AsyncSession, room_id: int, user_id: int) -> bool:
    hand = await session.get(RaisedHandRecord, (room_id, user_id))
    if hand is None:
        return False
    await session.delete(hand)
    return True


async def _grant(
    session: AsyncSession, room_id: int, user_id: int, seconds: int | None, now: datetime
) -> list[Part]:
    live = await _live(session, room_id)
    live.floor_user_id, live.floor_since, live.floor_seconds = user_id, now, seconds
    parts = [Part.FLOOR]
    if await _drop_hand(session, room_id, user_id):
        parts.append(Part.QUEUE)
    return parts


async def _queue(session: AsyncSession, room_id: int) -> list[Hand]:
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


async def _state(session: AsyncSession, room_id: int) -> SessionState:
    agenda = tuple(
        AgendaItem(r.id, r.position, r.title, r.created_at) for r in await _agenda(session, room_id)
    )
    live = await session.get(LiveSessionRecord, room_id)
    floor = None
    if live is not None and live.floor_user_id is not None and live.floor_since is not None:
        user = await session.get(UserRecord, live.floor_user_id)
        if user is not None:
            since, seconds = live.floor_since, live.floor_seconds
            floor = Floor(user.id, user.name, user.display_name, since, seconds)
    current = None if live is None else live.current_item_id
    return SessionState(agenda, current, tuple(await _queue(session, room_id)), floor)
