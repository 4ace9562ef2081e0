"""DiscussionStore on real SQLite and PostgreSQL: events numbered without gaps, messages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from storage.accounts import AccountStore
from storage.database import Database
from storage.discussion import DiscussionStore, MessageMissing, StoredMessage
from storage.rooms import RoomStore
from tests.storage.factories import T0


@pytest.fixture
def store(database: Database) -> DiscussionStore:
    return DiscussionStore(database)


async def _room_with_users(database: Database, *names: str) -> tuple[int, list[int]]:
    accounts = AccountStore(database)
    ids = []
    for name in names:
        user = await accounts.create_user(
            name, display_name=name, locale="bg", password_hash=None, is_admin=False, created_at=T0
        )
        ids.append(user.id)
    room = await RoomStore(database).create_room(
        "съвет", title="Съвет", description="", visibility="private", owner_id=ids[0], created_at=T0
    )
    return room.id, ids


def describe(message: StoredMessage) -> dict[str, Any]:
    return {"id": message.id, "body": message.body, "parent_id": message.parent_id}


async def test_messages_replies_edits_and_deletion_are_events_in_order(
    database: Database, store: DiscussionStore
) -> None:
    room, [ana, boris] = await _room_with_users(database, "ана", "борис")
    first, e1 = await store.post(
        room, ana, "Предлагам **дневен ред**", None, now=T0, event="message", describe=describe
    )
    reply, e2 = await store.post(
        room, boris, "Съгласен", first.id, now=T0, event="message", describe=describe
    )
    edited, e3 = await store.edit(
        room, reply.id, "Съгласен съм", actor_user_id=boris, now=T0, event="edit", describe=describe
    )
    assert [e.seq for e in (e1, e2, e3)] == [1, 2, 3]
    assert reply.parent_id == first.id
    assert edited.body == "Съгласен съм"
    assert edited.edited_at is not None
    assert [r.body for r in await store.revisions(reply.id)] == ["Съгласен"]

    deleted, e4 = await store.delete(
        room, reply.id, actor_user_id=boris, now=T0, event="delete", describe=describe
    )
    assert deleted.body == ""
    assert deleted.deleted_at is not None
    assert await store.revisions(reply.id) == []  # the deleted text is gone, history too
    for change in (
        store.edit(room, reply.id, "x", actor_user_id=boris, now=T0, event="e", describe=describe),
        store.delete(room, reply.id, actor_user_id=boris, now=T0, event="d", describe=describe),
        store.post(room, ana, "x", reply.id, now=T0, event="m", describe=describe),
        store.post(room, ana, "x", 999_999, now=T0, event="m", describe=describe),
    ):
        with pytest.raises(MessageMissing):
            await change
    events = await store.events_after(room, 0, 100)
    assert [(e.seq, e.type) for e in events] == [
        (1, "message"),
        (2, "message"),
        (3, "edit"),
        (4, "delete"),
    ]
    assert events[3] == e4
    assert events[0].payload == {
        "id": first.id,
        "body": "Предлагам **дневен ред**",
        "parent_id": None,
    }
    assert await store.last_seq(room) == 4  # the refused changes took no number
    assert [e.seq for e in await store.events_after(room, 2, 1)] == [3]
    page = await store.messages(room, before=None, limit=10)
    assert [m.id for m in page] == [reply.id, first.id]
    assert await store.messages(room, before=reply.id, limit=10) == [first]


async def test_reactions_count_once_per_user_and_emoji(
    database: Database, store: DiscussionStore
) -> None:
    room, [ana, boris] = await _room_with_users(database, "ана", "борис")
    message, _ = await store.post(
        room, ana, "Гласуваме ли?", None, now=T0, event="m", describe=describe
    )

    def counts(_m: StoredMessage, by_emoji: dict[str, int]) -> dict[str, Any]:
        return {"reactions": by_emoji}

    async def react(user: int, emoji: str, on: bool) -> tuple[int | None, dict[str, int]]:
        event, by_emoji = await store.react(
            room, message.id, user, emoji, on=on, now=T0, event="reaction", describe=counts
        )
        return (None if event is None else event.seq), by_emoji

    assert await react(ana, "👍", True) == (2, {"👍": 1})
    assert await react(boris, "👍", True) == (3, {"👍": 2})
    assert await react(boris, "👍", True) == (None, {"👍": 2})  # again: nothing changes
    assert await react(boris, "🎉", True) == (4, {"👍": 2, "🎉": 1})
    assert await react(ana, "👍", False) == (5, {"👍": 1, "🎉": 1})
    assert await react(ana, "👍", False) == (None, {"👍": 1, "🎉": 1})
    assert await store.last_seq(room) == 5


async def test_concurrent_writers_get_distinct_gap_free_numbers(
    database: Database, store: DiscussionStore
) -> None:
    room, [ana] = await _room_with_users(database, "ана")

    async def post(i: int) -> int:
        _, event = await store.post(room, ana, f"№{i}", None, now=T0, event="m", describe=describe)
        return event.seq

    seqs = await asyncio.gather(*(post(i) for i in range(40)))
    assert sorted(seqs) == list(range(1, 41))
    events = await store.events_after(room, 0, 100)
    assert [e.seq for e in events] == list(range(1, 41))
    assert sorted(e.payload["body"] for e in events) == sorted(f"№{i}" for i in range(40))
