"""A room's live history: the messages, revisions and reactions its events describe.

Every change is one transaction that also appends the event announcing it to the room's
numbered log (storage/room_events.py); nothing is announced that is not stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import StorageError
from storage.live_models import MessageReactionRecord, MessageRecord, MessageRevisionRecord
from storage.records import detached
from storage.room_events import RoomEvents, StoredEvent, new_event, next_event_seq
from storage.search import index_message, unindex_message

__all__ = [
    "DiscussionStore",
    "MessageMissing",
    "StoredMessage",
    "StoredRevision",
]

Describe = Callable[["StoredMessage"], dict[str, Any]]


class MessageMissing(StorageError):
    """No message with that id in that room (or it was deleted)."""


class _EventUnchanged(Exception):
    """Raised inside a transaction to roll it back when there is nothing to record."""


@dataclass(frozen=True)
class StoredMessage:
    id: int
    room_id: int
    author_id: int | None
    parent_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    hidden_by: int | None
    hidden_reason: str | None


@dataclass(frozen=True)
class StoredRevision:
    body: str
    replaced_at: datetime


class DiscussionStore(RoomEvents):
    """Reads and writes a room's live history; every method is one unit of work. The
    event log's own reads and writes come from `RoomEvents` (storage/room_events.py)."""

    # -- messages --------------------------------------------------------------------------
    async def post(
        self,
        room_id: int,
        author_id: int,
        body: str,
        parent_id: int | None,
        *,
        now: datetime,
        event: str,
        describe: Describe,
    ) -> tuple[StoredMessage, StoredEvent]:
        """Store a message (a reply when ``parent_id`` is given) and announce it.

        Raises:
            MessageMissing: the parent is not a message of this room.
        """
        async with self._sessions() as session, session.begin():
            stamp = await next_event_seq(session, room_id)
            if parent_id is not None:
                await live_message(session, room_id, parent_id)
            record = MessageRecord(
                room_id=room_id,
                author_id=author_id,
                parent_id=parent_id,
                body=body,
                created_at=now,
            )
            session.add(record)
            await session.flush()
            await index_message(session, record.id, body)
            message = detached(StoredMessage, record)
            return message, new_event(
                session, room_id, stamp, event, author_id, describe(message), now
            )

    async def edit(
        self,
        room_id: int,
        message_id: int,
        body: str,
        *,
        actor_user_id: int,
        now: datetime,
        event: str,
        describe: Describe,
    ) -> tuple[StoredMessage, StoredEvent]:
        """Replace a message's body, keeping the old one as a revision; MessageMissing."""

        async def replace(session: AsyncSession, record: MessageRecord) -> None:
            session.add(
                MessageRevisionRecord(message_id=record.id, body=record.body, replaced_at=now)
            )
            record.body, record.edited_at = body, now
            await session.flush()
            await index_message(session, record.id, body)

        return await self.change(
            room_id,
            message_id,
            replace,
            actor_user_id=actor_user_id,
            now=now,
            event=event,
            describe=describe,
        )

    async def delete(
        self,
        room_id: int,
        message_id: int,
        *,
        actor_user_id: int,
        now: datetime,
        event: str,
        describe: Describe,
    ) -> tuple[StoredMessage, StoredEvent]:
        """Mark a message deleted and drop its body and revisions (replies stay); MessageMissing."""

        async def remove(session: AsyncSession, record: MessageRecord) -> None:
            record.body, record.deleted_at = "", now
            await session.execute(
                delete(MessageRevisionRecord).where(MessageRevisionRecord.message_id == record.id)
            )
            await unindex_message(session, record.id)

        return await self.change(
            room_id,
            message_id,
            remove,
            actor_user_id=actor_user_id,
            now=now,
            event=event,
            describe=describe,
        )

    async def change(
        self,
        room_id: int,
        message_id: int,
        change: Callable[[AsyncSession, MessageRecord], Awaitable[None]],
        *,
        actor_user_id: int,
        now: datetime,
        event: str,
        describe: Describe,
    ) -> tuple[StoredMessage, StoredEvent]:
        """Change a live message with ``change`` (inside the transaction) and announce it as
        ``event``: the one shape of every edit, deletion, hiding. Raises MessageMissing."""
        async with self._sessions() as session, session.begin():
            stamp = await next_event_seq(session, room_id)
            record = await live_message(session, room_id, message_id)
            await change(session, record)
            await session.flush()
            message = detached(StoredMessage, record)
            payload = describe(message)
            return message, new_event(session, room_id, stamp, event, actor_user_id, payload, now)

    async def react(
        self,
        room_id: int,
        message_id: int,
        user_id: int,
        emoji: str,
        *,
        on: bool,
        now: datetime,
        event: str,
        describe: Callable[[StoredMessage, dict[str, int]], dict[str, Any]],
    ) -> tuple[StoredEvent | None, dict[str, int]]:
        """Add (``on``) or take back a user's reaction; None and no event if nothing changed.

        Returns the event and the message's reaction counts by emoji. Raises MessageMissing.
        """
        try:
            async with self._sessions() as session, session.begin():
                stamp = await next_event_seq(session, room_id)
                record = await live_message(session, room_id, message_id)
                key = {"message_id": record.id, "user_id": user_id, "emoji": emoji}
                existing = await session.get(MessageReactionRecord, key)
                if (existing is not None) == on:
                    raise _EventUnchanged  # rolls back: the event number is given back
                if on:
                    session.add(MessageReactionRecord(**key, created_at=now))
                else:
                    await session.delete(existing)
                await session.flush()
                counts = await _reaction_counts(session, record.id)
                payload = describe(detached(StoredMessage, record), counts)
                return new_event(session, room_id, stamp, event, user_id, payload, now), counts
        except _EventUnchanged:
            return None, await self.reactions(message_id)

    async def message(self, room_id: int, message_id: int) -> StoredMessage:
        """One message of the room, deleted or not; MessageMissing."""
        async with self._sessions() as session:
            record = await live_message(session, room_id, message_id, deleted_too=True)
            return detached(StoredMessage, record)

    async def messages(
        self, room_id: int, *, before: int | None, limit: int
    ) -> list[StoredMessage]:
        """A page of the room's messages, newest first, with ids below ``before``."""
        query = select(MessageRecord).where(MessageRecord.room_id == room_id)
        if before is not None:
            query = query.where(MessageRecord.id < before)
        query = query.order_by(MessageRecord.id.desc()).limit(limit)
        async with self._sessions() as session:
            return [detached(StoredMessage, r) for r in await session.scalars(query)]

    async def revisions(self, message_id: int) -> list[StoredRevision]:
        """A message's earlier bodies, oldest first."""
        query = (
            select(MessageRevisionRecord)
            .where(MessageRevisionRecord.message_id == message_id)
            .order_by(MessageRevisionRecord.id)
        )
        async with self._sessions() as session:
            return [detached(StoredRevision, r) for r in await session.scalars(query)]

    async def reactions(self, message_id: int) -> dict[str, int]:
        """How many users reacted to the message with each emoji."""
        async with self._sessions() as session:
            return await _reaction_counts(session, message_id)

    async def messages_by_id(self, room_id: int, ids: Collection[int]) -> dict[int, StoredMessage]:
        """The room's messages among ``ids`` (deleted ones too), by id."""
        if not ids:
            return {}
        query = select(MessageRecord).where(
            MessageRecord.room_id == room_id, MessageRecord.id.in_(ids)
        )
        async with self._sessions() as session:
            return {r.id: detached(StoredMessage, r) for r in await session.scalars(query)}

    async def changed_messages(
        self, room_id: int, ids: Collection[int]
    ) -> dict[int, StoredMessage]:
        """The room's messages among ``ids`` that were deleted or hidden, by id: what a
        replay must bring up to date (most messages are neither, and are not read)."""
        if not ids:
            return {}
        query = select(MessageRecord).where(
            MessageRecord.room_id == room_id,
            MessageRecord.id.in_(ids),
            or_(MessageRecord.deleted_at.is_not(None), MessageRecord.hidden_at.is_not(None)),
        )
        async with self._sessions() as session:
            return {r.id: detached(StoredMessage, r) for r in await session.scalars(query)}

    async def reaction_counts(self, message_ids: Collection[int]) -> dict[int, dict[str, int]]:
        """For each of the messages that has reactions: the counts by emoji."""
        if not message_ids:
            return {}
        query = (
            select(MessageReactionRecord.message_id, MessageReactionRecord.emoji, func.count())
            .where(MessageReactionRecord.message_id.in_(message_ids))
            .group_by(MessageReactionRecord.message_id, MessageReactionRecord.emoji)
            .order_by(MessageReactionRecord.emoji)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        counts: dict[int, dict[str, int]] = {}
        for message_id, emoji, count in rows:
            counts.setdefault(message_id, {})[emoji] = int(count)
        return counts


async def live_message(
    session: AsyncSession, room_id: int, message_id: int, *, deleted_too: bool = False
) -> MessageRecord:
    """The room's message; a deleted one counts as missing for anything that changes it."""
    record = await session.get(MessageRecord, message_id)
    if record is None or record.room_id != room_id:
        raise MessageMissing(f"no message {message_id} in this room")
    if record.deleted_at is not None and not deleted_too:
        raise MessageMissing(f"message {message_id} was deleted")
    return record


async def _reaction_counts(session: AsyncSession, message_id: int) -> dict[str, int]:
    query = (
        select(MessageReactionRecord.emoji, func.count())
        .where(MessageReactionRecord.message_id == message_id)
        .group_by(MessageReactionRecord.emoji)
        .order_by(MessageReactionRecord.emoji)
    )
    rows = (await session.execute(query)).all()
    return {emoji: int(count) for emoji, count in rows}
