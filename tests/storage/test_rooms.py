"""RoomStore on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.accounts import AccountStore
from storage.database import Database
from storage.document_log import DocumentLog
from storage.errors import DocumentTaken, RoomExists
from storage.rooms import Acceptance, Revocation, RoomStore
from tests.storage.factories import T0


@pytest.fixture
def rooms(database: Database) -> RoomStore:
    return RoomStore(database)


async def _users(database: Database, *names: str) -> list[int]:
    store = AccountStore(database)
    ids = []
    for name in names:
        user = await store.create_user(
            name, display_name=name, locale="bg", password_hash=None, is_admin=False, created_at=T0
        )
        ids.append(user.id)
    return ids


async def test_a_room_has_its_creator_as_owner_and_a_unique_slug(
    database: Database, rooms: RoomStore
) -> None:
    [ana, boris] = await _users(database, "ана", "борис")
    room = await rooms.create_room(
        "съвет", title="Съвет", description="", visibility="private", owner_id=ana, created_at=T0
    )
    assert await rooms.role_of(room.id, ana) == "owner"
    assert await rooms.role_of(room.id, boris) is None
    with pytest.raises(RoomExists):
        await rooms.create_room(
            "съвет", title="x", description="", visibility="public", owner_id=boris, created_at=T0
        )
    assert await rooms.find_room("съвет") == room
    assert await rooms.owner_count(room.id) == 1


async def test_readable_rooms_are_public_ones_and_the_callers(
    database: Database, rooms: RoomStore
) -> None:
    [ana, boris] = await _users(database, "ана", "борис")
    for slug, visibility in (("a", "public"), ("b", "private"), ("c", "private")):
        await rooms.create_room(
            slug, title=slug, description="", visibility=visibility, owner_id=ana, created_at=T0
        )
    c = await rooms.find_room("c")
    assert c is not None
    assert await rooms.set_member(c.id, boris, "observer") is None
    assert [(r.slug, role) for r, role in await rooms.readable_rooms(boris)] == [
        ("a", None),
        ("c", "observer"),
    ]
    assert [r.slug for r, _ in await rooms.readable_rooms(None)] == ["a"]
    assert await rooms.set_member(c.id, boris, "moderator") == "observer"
    assert [m.role for m in await rooms.members(c.id)] == ["owner", "moderator"]
    assert await rooms.remove_member(c.id, boris) == "moderator"
    assert await rooms.remove_member(c.id, boris) is None


async def test_an_invitation_is_good_once_and_until_it_expires(
    database: Database, rooms: RoomStore
) -> None:
    [ana, boris, vera, gosho] = await _users(database, "ана", "борис", "вера", "гошо")
    room = await rooms.create_room(
        "r", title="r", description="", visibility="private", owner_id=ana, created_at=T0
    )
    later = T0 + timedelta(hours=1)
    await rooms.create_invitation(
        room.id,
        token_hash="a" * 64,
        role="participant",
        expires_at=later,
        created_by=ana,
        created_at=T0,
    )
    await rooms.create_invitation(
        room.id,
        token_hash="b" * 64,
        role="observer",
        expires_at=later,
        created_by=ana,
        created_at=T0,
    )
    assert (await rooms.accept_invitation("a" * 64, ana, T0))[0] is Acceptance.ALREADY_MEMBER
    outcomes = await asyncio.gather(
        rooms.accept_invitation("a" * 64, boris, T0), rooms.accept_invitation("a" * 64, vera, T0)
    )
    assert sorted(o.value for o, _ in outcomes) == ["accepted", "used"]
    assert (await rooms.accept_invitation("b" * 64, gosho, later))[0] is Acceptance.EXPIRED
    assert (await rooms.accept_invitation("c" * 64, gosho, T0))[0] is Acceptance.UNKNOWN
    assert await rooms.role_of(room.id, gosho) is None


async def test_a_document_belongs_to_one_room(database: Database, rooms: RoomStore) -> None:
    [ana] = await _users(database, "ана")
    one, two = [
        await rooms.create_room(
            slug, title=slug, description="", visibility="public", owner_id=ana, created_at=T0
        )
        for slug in ("one", "two")
    ]
    document = await DocumentLog(database).ensure_document("notes")
    await rooms.link_document(one.id, document.id)
    with pytest.raises(DocumentTaken):
        await rooms.link_document(two.id, document.id)
    assert await rooms.room_of_document(document.id) == one.id


async def _invite(rooms: RoomStore, room_id: int, token_hash: str, creator: int, at: int) -> int:
    """An observer invitation made ``at`` minutes after T0, good for an hour after T0."""
    invitation = await rooms.create_invitation(
        room_id,
        token_hash=token_hash,
        role="observer",
        expires_at=T0 + timedelta(hours=1),
        created_by=creator,
        created_at=T0 + timedelta(minutes=at),
    )
    return invitation.id


async def test_invitations_are_listed_newest_first_with_names(
    database: Database, rooms: RoomStore
) -> None:
    [ana, boris, vera] = await _users(database, "ана", "борис", "вера")
    room = await rooms.create_room(
        "r", title="r", description="", visibility="private", owner_id=ana, created_at=T0
    )
    other = await rooms.create_room(
        "o", title="o", description="", visibility="private", owner_id=ana, created_at=T0
    )
    await rooms.set_member(room.id, boris, "moderator")
    first = await _invite(rooms, room.id, "a" * 64, ana, 1)
    second = await _invite(rooms, room.id, "b" * 64, boris, 2)
    await _invite(rooms, other.id, "c" * 64, ana, 3)
    await rooms.accept_invitation("a" * 64, vera, T0 + timedelta(minutes=5))
    await rooms.remove_member(room.id, boris)

    listed = await rooms.invitations(room.id)
    assert [i.invitation.id for i in listed] == [second, first]
    assert [(i.created_by_name, i.used_by_name, i.creator_role) for i in listed] == [
        ("борис", None, None),
        ("ана", "вера", "owner"),
    ]
    assert listed[1].invitation.used_at == T0 + timedelta(minutes=5)
    assert await rooms.get_invitation(room.id, first) == listed[1].invitation
    assert await rooms.get_invitation(other.id, first) is None


async def test_an_invitation_is_revoked_once_and_never_after_its_use(
    database: Database, rooms: RoomStore
) -> None:
    [ana, boris, vera] = await _users(database, "ана", "борис", "вера")
    room = await rooms.create_room(
        "r", title="r", description="", visibility="private", owner_id=ana, created_at=T0
    )
    other = await rooms.create_room(
        "o", title="o", description="", visibility="private", owner_id=ana, created_at=T0
    )
    pending = await _invite(rooms, room.id, "a" * 64, ana, 1)
    used = await _invite(rooms, room.id, "b" * 64, ana, 2)
    await rooms.accept_invitation("b" * 64, boris, T0)

    assert await rooms.revoke_invitation(other.id, pending, T0) == (Revocation.UNKNOWN, None)
    outcome, revoked = await rooms.revoke_invitation(room.id, pending, T0)
    assert outcome is Revocation.REVOKED
    assert revoked is not None
    assert revoked.revoked_at == T0
    later = T0 + timedelta(minutes=1)
    outcome, again = await rooms.revoke_invitation(room.id, pending, later)
    assert outcome is Revocation.ALREADY_REVOKED
    assert again == revoked
    assert (await rooms.revoke_invitation(room.id, used, T0))[0] is Revocation.USED
    expired = await _invite(rooms, room.id, "c" * 64, ana, 3)
    after_expiry = T0 + timedelta(hours=2)
    outcome, _ = await rooms.revoke_invitation(room.id, expired, after_expiry)
    assert outcome is Revocation.REVOKED
    assert (await rooms.accept_invitation("a" * 64, vera, T0))[0] is Acceptance.REVOKED
    assert await rooms.role_of(room.id, vera) is None
    kept = await rooms.get_invitation(room.id, used)
    assert kept is not None
    assert kept.revoked_at is None


async def test_of_an_acceptance_and_a_revocation_at_once_one_takes_effect(
    database: Database, rooms: RoomStore
) -> None:
    [ana, boris] = await _users(database, "ана", "борис")
    room = await rooms.create_room(
        "r", title="r", description="", visibility="private", owner_id=ana, created_at=T0
    )
    invitation = await _invite(rooms, room.id, "a" * 64, ana, 1)
    (accepted, _), (revoked, _) = await asyncio.gather(
        rooms.accept_invitation("a" * 64, boris, T0),
        rooms.revoke_invitation(room.id, invitation, T0),
    )
    assert (accepted, revoked) in {
        (Acceptance.ACCEPTED, Revocation.USED),
        (Acceptance.REVOKED, Revocation.REVOKED),
    }
    joined = await rooms.role_of(room.id, boris) == "observer"
    assert joined is (accepted is Acceptance.ACCEPTED)
