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

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.live_models import AgendaItemRecord, LiveSessionRecord, RaisedHandRecord
from storage.live_session_state import (
    AgendaFull,
    AgendaItemMissing,
    Change,
    NotAMember,
    Part,
    SessionState,
    agenda_records,
    live_record,
    raised_hands,
    read_state,
)
from storage.models import TITLE_LENGTH, RoomMemberRecord
from storage.room_events import StoredEvent, new_event, next_event_seq

# the session's state as read (the dataclasses and errors) is storage/live_session_state.py
__all__ = ["MAX_AGENDA_ITEMS", "MAX_TITLE_CHARS", "LiveSessionStore"]

MAX_AGENDA_ITEMS = 200  # every agenda event carries the whole agenda
MAX_TITLE_CHARS = TITLE_LENGTH
_TICK = timedelta(microseconds=1)


class _SessionUnchanged(Exception):
    """Raised inside a transaction to roll it back when there is nothing to record."""


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
            return await read_state(session, room_id)

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
            items = await agenda_records(session, room_id)
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
            items = await agenda_records(session, room_id)
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
            items = await agenda_records(session, room_id)
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
                _find(await agenda_records(session, room_id), item_id)
            live = await live_record(session, room_id)
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
            queue = await raised_hands(session, room_id)
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
                state = await read_state(session, room_id)
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


def _find(items: list[AgendaItemRecord], item_id: int) -> AgendaItemRecord:
    for record in items:
        if record.id == item_id:
            return record
    raise AgendaItemMissing(f"no agenda item {item_id} in this room")


def _renumber(items: list[AgendaItemRecord]) -> None:
    for position, record in enumerate(items):
        if record.position != position:
            record.position = position


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
    live = await live_record(session, room_id)
    live.floor_user_id, live.floor_since, live.floor_seconds = user_id, now, seconds
    parts = [Part.FLOOR]
    if await _drop_hand(session, room_id, user_id):
        parts.append(Part.QUEUE)
    return parts
