"""Moderation of a live room: hidden and removed messages, mutes, slow mode, the lock, flags.

Over the tables of migration 0004 (``messages.hidden_*``, ``rooms.locked_at``,
``rooms.slow_mode_seconds``, ``room_mutes``, ``message_flags``). As in storage/discussion.py,
every change is one transaction that bumps ``rooms.last_event_seq`` first and appends the room
event announcing it (its helpers number the events), so nothing is announced that is not
stored and nothing is stored unannounced. A change that would change nothing raises
`ModerationConflict` and appends no event (its number is given back with the rollback).

The store decides nothing about who may do what: that is the policy's (server/policy.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.database import Database
from storage.discussion import DiscussionStore, MessageMissing, StoredMessage, live_message
from storage.errors import StorageError
from storage.live_models import MessageFlagRecord, MessageRecord, RoomMuteRecord
from storage.models import RoomMemberRecord, RoomRecord, UserRecord
from storage.records import detached
from storage.room_events import StoredEvent, new_event, next_event_seq

__all__ = [
    "FLAG_OUTCOMES",
    "FlagMissing",
    "MessageMissing",
    "ModerationConflict",
    "ModerationStore",
    "QueuedFlag",
    "StoredFlag",
    "StoredMute",
    "StoredPerson",
]

FLAG_OUTCOMES = ("resolved", "dismissed")

Describe = Callable[[StoredMessage], dict[str, Any]]


class ModerationConflict(StorageError):
    """The change would change nothing (not hidden, not muted, already flagged, …)."""


class FlagMissing(StorageError):
    """No flag with that id in that room."""


@dataclass(frozen=True)
class StoredMute:
    room_id: int
    user_id: int
    until: datetime
    muted_by: int | None
    reason: str


@dataclass(frozen=True)
class StoredFlag:
    id: int
    room_id: int
    message_id: int
    flagged_by: int | None
    reason: str
    created_at: datetime
    state: str  # "open", "resolved" or "dismissed"
    resolved_by: int | None
    resolved_at: datetime | None
    resolution: str | None


@dataclass(frozen=True)
class StoredPerson:
    id: int
    name: str
    display_name: str


@dataclass(frozen=True)
class QueuedFlag:
    """An open flag in the moderation queue, with its message and who is involved (None:
    the account is gone)."""

    flag: StoredFlag
    message: StoredMessage
    flagger: StoredPerson | None
    author: StoredPerson | None


class ModerationStore:
    """Reads and writes a room's moderation state; every method is one unit of work.

    Built over the room's `DiscussionStore`: the same database, and a moderator's removal of
    a message is the author's deletion (`DiscussionStore.delete`) with another event.
    """

    def __init__(self, database: Database, discussion: DiscussionStore) -> None:
        self._discussion = discussion
        self._sessions = database.sessionmaker

    # -- messages --------------------------------------------------------------------------
    async def hide(
        self,
        room_id: int,
        message_id: int,
        *,
        reason: str,
        actor_user_id: int,
        now: datetime,
        event: str,
        describe: Describe,
    ) -> tuple[StoredMessage, StoredEvent]:
        """Hide a message with a reason (hiding a hidden one replaces the reason and who hid
        it, keeping when). Raises MessageMissing (a deleted message too)."""

        async def hide(_session: AsyncSession, record: MessageRecord) -> None:
            if record.hidden_at is None:
                record.hidden_at = now
            record.hidden_by, record.hidden_reason = actor_user_id, reason

        return await self._discussion.change(
            room_id,
            message_id,
            hide,
            actor_user_id=actor_user_id,
            now=now,
            event=event,
            describe=describe,
        )

    async def unhide(
        self,
        room_id: int,
        message_id: int,
        *,
        actor_user_id: int,
        now: datetime,
        event: str,
        describe: Describe,
    ) -> tuple[StoredMessage, StoredEvent]:
        """Show a hidden message again; MessageMissing, ModerationConflict (not hidden)."""

        async def show(_session: AsyncSession, record: MessageRecord) -> None:
            if record.hidden_at is None:
                raise ModerationConflict(f"message {message_id} is not hidden")
            record.hidden_at, record.hidden_by, record.hidden_reason = None, None, None

        return await self._discussion.change(
            room_id,
            message_id,
            show,
            actor_user_id=actor_user_id,
            now=now,
            event=event,
            describe=describe,
        )

    async def remove(
        self,
        room_id: int,
        message_id: int,
        *,
        actor_user_id: int,
        now: datetime,
        event: str,
        describe: Describe,
    ) -> tuple[StoredMessage, StoredEvent]:
        """A moderator's deletion: exactly the author's (body and revisions gone, replies
        stay, out of the search index), announced as ``event``; MessageMissing."""
        return await self._discussion.delete(
            room_id,
            message_id,
            actor_user_id=actor_user_id,
            now=now,
            event=event,
            describe=describe,
        )

    # -- members ---------------------------------------------------------------------------
    async def member_role(self, room_id: int, user_id: int) -> str | None:
        """The user's role in the room, or None when they are no member."""
        query = select(RoomMemberRecord.role).where(
            RoomMemberRecord.room_id == room_id, RoomMemberRecord.user_id == user_id
        )
        async with self._sessions() as session:
            return await session.scalar(query)

    async def mute(
        self,
        room_id: int,
        user_id: int,
        *,
        until: datetime,
        reason: str,
        actor_user_id: int,
        now: datetime,
        event: str,
        describe: Callable[[StoredMute], dict[str, Any]],
    ) -> tuple[StoredMute, StoredEvent]:
        """Mute a user in the room until ``until`` (muting a muted user replaces the mute)."""
        async with self._sessions() as session, session.begin():
            stamp = await next_event_seq(session, room_id)
            record = await session.get(RoomMuteRecord, (room_id, user_id))
            if record is None:
                record = RoomMuteRecord(room_id=room_id, user_id=user_id)
                session.add(record)
            record.until, record.muted_by, record.reason = until, actor_user_id, reason
            await session.flush()
            mute = detached(StoredMute, record)
            payload = describe(mute)
            return mute, new_event(session, room_id, stamp, event, actor_user_id, payload, now)

    async def unmute(
        self,
        room_id: int,
        user_id: int,
        *,
        actor_user_id: int,
        now: datetime,
        event: str,
        payload: dict[str, Any],
    ) -> StoredEvent:
        """End a mute before its time; ModerationConflict when the user is not muted."""
        async with self._sessions() as session, session.begin():
            stamp = await next_event_seq(session, room_id)
            record = await session.get(RoomMuteRecord, (room_id, user_id))
            if record is None or record.until <= now:
                raise ModerationConflict("the member is not muted")
            await session.delete(record)
            return new_event(session, room_id, stamp, event, actor_user_id, payload, now)

    async def muted_until(self, room_id: int, user_id: int, now: datetime) -> datetime | None:
        """When the user's mute in the room ends, or None when they are not muted at ``now``."""
        query = select(RoomMuteRecord.until).where(
            RoomMuteRecord.room_id == room_id, RoomMuteRecord.user_id == user_id
        )
        async with self._sessions() as session:
            until = await session.scalar(query)
        return until if until is not None and until > now else None

    async def last_post_at(self, room_id: int, user_id: int) -> datetime | None:
        """When the user last posted in the room (a message deleted since counts too)."""
        query = (
            select(MessageRecord.created_at)
            .where(MessageRecord.room_id == room_id, MessageRecord.author_id == user_id)
            .order_by(MessageRecord.id.desc())
            .limit(1)
        )
        async with self._sessions() as session:
            return await session.scalar(query)

    # -- the room --------------------------------------------------------------------------
    async def set_slow_mode(
        self,
        room_id: int,
        seconds: int,
        *,
        actor_user_id: int,
        now: datetime,
        event: str,
        payload: dict[str, Any],
    ) -> StoredEvent:
        """One message per ``seconds`` per member (0: off); ModerationConflict if so already."""
        async with self._sessions() as session, session.begin():
            stamp = await next_event_seq(session, room_id)
            room = await _room(session, room_id)
            if room.slow_mode_seconds == seconds:
                raise ModerationConflict(f"slow mode is {seconds} seconds already")
            room.slow_mode_seconds = seconds
            return new_event(session, room_id, stamp, event, actor_user_id, payload, now)

    async def set_locked(
        self,
        room_id: int,
        locked: bool,
        *,
        actor_user_id: int,
        now: datetime,
        event: str,
        payload: dict[str, Any],
    ) -> StoredEvent:
        """Lock (read-only but for moderators) or unlock the room; ModerationConflict if so."""
        async with self._sessions() as session, session.begin():
            stamp = await next_event_seq(session, room_id)
            room = await _room(session, room_id)
            if (room.locked_at is not None) == locked:
                raise ModerationConflict(f"the room is {'' if locked else 'un'}locked already")
            room.locked_at = now if locked else None
            return new_event(session, room_id, stamp, event, actor_user_id, payload, now)

    # -- flags -----------------------------------------------------------------------------
    async def flag(
        self,
        room_id: int,
        message_id: int,
        *,
        user_id: int,
        reason: str,
        now: datetime,
        event: str,
        describe: Callable[[StoredFlag], dict[str, Any]],
    ) -> tuple[StoredFlag, StoredEvent]:
        """A member's flag on a message, one per member and message ever (a resolved or
        dismissed one included); MessageMissing, ModerationConflict (flagged already)."""
        async with self._sessions() as session, session.begin():
            stamp = await next_event_seq(session, room_id)  # also orders flaggers of this room
            await live_message(session, room_id, message_id)
            existing = await session.scalar(
                select(MessageFlagRecord.id).where(
                    MessageFlagRecord.message_id == message_id,
                    MessageFlagRecord.flagged_by == user_id,
                )
            )
            if existing is not None:
                raise ModerationConflict(f"you flagged message {message_id} already")
            record = MessageFlagRecord(
                room_id=room_id,
                message_id=message_id,
                flagged_by=user_id,
                reason=reason,
                created_at=now,
                state="open",
            )
            session.add(record)
            await session.flush()
            flag = detached(StoredFlag, record)
            payload = describe(flag)
            return flag, new_event(session, room_id, stamp, event, user_id, payload, now)

    async def open_flags(self, room_id: int, *, limit: int = 500) -> list[QueuedFlag]:
        """The moderation queue: the room's open flags, oldest first, with their messages."""
        flagger, author = aliased(UserRecord), aliased(UserRecord)
        query = (
            select(MessageFlagRecord, MessageRecord, flagger, author)
            .join(MessageRecord, MessageRecord.id == MessageFlagRecord.message_id)
            .outerjoin(flagger, flagger.id == MessageFlagRecord.flagged_by)
            .outerjoin(author, author.id == MessageRecord.author_id)
            .where(MessageFlagRecord.room_id == room_id, MessageFlagRecord.state == "open")
            .order_by(MessageFlagRecord.id)
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
            return [
                QueuedFlag(
                    detached(StoredFlag, flag),
                    detached(StoredMessage, message),
                    _person(who),
                    _person(wrote),
                )
                for flag, message, who, wrote in rows
            ]

    async def resolve_flag(
        self,
        room_id: int,
        flag_id: int,
        *,
        outcome: str,
        note: str | None,
        actor_user_id: int,
        now: datetime,
        event: str,
        describe: Callable[[StoredFlag], dict[str, Any]],
    ) -> tuple[StoredFlag, StoredEvent]:
        """Close an open flag as ``resolved`` (acted on) or ``dismissed`` with a note;
        FlagMissing, ModerationConflict (closed already)."""
        if outcome not in FLAG_OUTCOMES:
            raise ValueError(f"outcome is one of {FLAG_OUTCOMES}, not {outcome!r}")
        async with self._sessions() as session, session.begin():
            stamp = await next_event_seq(session, room_id)
            record = await session.get(MessageFlagRecord, flag_id)
            if record is None or record.room_id != room_id:
                raise FlagMissing(f"no flag {flag_id} in this room")
            if record.state != "open":
                raise ModerationConflict(f"flag {flag_id} is {record.state} already")
            record.state, record.resolution = outcome, note
            record.resolved_by, record.resolved_at = actor_user_id, now
            await session.flush()
            flag = detached(StoredFlag, record)
            payload = describe(flag)
            return flag, new_event(session, room_id, stamp, event, actor_user_id, payload, now)


async def _room(session: AsyncSession, room_id: int) -> RoomRecord:
    room = await session.get(RoomRecord, room_id)
    if room is None:
        raise StorageError(f"no room with id {room_id}")
    return room


def _person(record: UserRecord | None) -> StoredPerson | None:
    return None if record is None else StoredPerson(record.id, record.name, record.display_name)
