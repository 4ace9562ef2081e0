"""Membership changes at the same time, on real SQLite and PostgreSQL: a room keeps an owner,
and a busy SQLite database makes writers wait instead of failing."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import timedelta

import pytest

from storage.accounts import AccountStore
from storage.database import Database
from storage.errors import LastOwner, NotPermitted
from storage.rooms import Acceptance, Acting, RoomStore
from tests.storage.factories import T0

ROOMS = 6
OWNERS = 3


async def _users(database: Database, count: int) -> list[int]:
    store = AccountStore(database)
    made = []
    for n in range(count):
        user = await store.create_user(
            f"човек-{n}", display_name=f"Човек {n}", locale="bg", password_hash=None,
            is_admin=False, created_at=T0,
        )  # fmt: skip
        made.append(user.id)
    return made


async def _rooms_with_owners(rooms: RoomStore, owners: list[int]) -> list[int]:
    made = []
    for n in range(ROOMS):
        room = await rooms.create_room(
            f"стая-{n}", title="Стая", description="", visibility="private",
            owner_id=owners[0], created_at=T0,
        )  # fmt: skip
        for owner in owners[1:]:
            await rooms.set_member(room.id, owner, "owner")
        made.append(room.id)
    return made


async def _owners(rooms: RoomStore, room_id: int) -> list[int]:
    return [m.user_id for m in await rooms.members(room_id) if m.role == "owner"]


async def test_owners_demoting_and_removing_each_other_at_once_leave_an_owner(
    database: Database,
) -> None:
    rooms = RoomStore(database)
    owners = await _users(database, OWNERS)
    room_ids = await _rooms_with_owners(rooms, owners)

    async def change(room_id: int, target: int, n: int) -> str:
        try:
            if n % 2:
                await rooms.remove_member(room_id, target)
            else:
                await rooms.set_member(room_id, target, "moderator")
        except LastOwner:
            return "last-owner"
        return "done"

    # every owner of every room is demoted or removed at the same time, each from its own
    # session: without the room's lock all of them pass the check and no owner is left
    outcomes = await asyncio.gather(
        *(
            change(room_id, target, n)
            for n, (room_id, target) in enumerate(itertools.product(room_ids, owners))
        )
    )
    assert set(outcomes) <= {"done", "last-owner"}
    for room_id in room_ids:
        assert len(await _owners(rooms, room_id)) == 1
    assert outcomes.count("last-owner") == ROOMS


def _as_policy(actor: int, asked: list[tuple[str | None, bool]]) -> Acting:
    """Members are managed by moderators and owners, owners by owners (server/policy.py)."""

    def may(role: str | None, owner_involved: bool) -> bool:
        asked.append((role, owner_involved))
        return role == "owner" or (role == "moderator" and not owner_involved)

    return Acting(actor, may)


async def test_the_rules_are_checked_on_the_roles_the_change_meets(database: Database) -> None:
    rooms = RoomStore(database)
    [ana, boris, vera] = await _users(database, 3)
    [room_id, *_] = await _rooms_with_owners(rooms, [ana])
    await rooms.set_member(room_id, boris, "moderator")
    await rooms.set_member(room_id, vera, "participant")
    asked: list[tuple[str | None, bool]] = []
    as_boris = _as_policy(boris, asked)
    # boris (a moderator) decided on vera the participant; vera is an owner now
    await rooms.set_member(room_id, vera, "owner")
    for attempt in (
        rooms.set_member(room_id, vera, "observer", acting=as_boris),
        rooms.remove_member(room_id, vera, acting=as_boris),
    ):
        with pytest.raises(NotPermitted):
            await attempt
    assert asked == [("moderator", True)] * 2
    # ana demoted boris meanwhile: a moderator's right is gone too
    await rooms.set_member(room_id, boris, "observer")
    with pytest.raises(NotPermitted):
        await rooms.set_member(room_id, ana, "participant", acting=as_boris)
    assert sorted(await _owners(rooms, room_id)) == [ana, vera]
    assert await rooms.role_of(room_id, ana) == "owner"
    # what an owner may do goes through, up to the last owner
    assert await rooms.set_member(room_id, vera, "observer", acting=_as_policy(ana, [])) == "owner"
    with pytest.raises(LastOwner):
        await rooms.remove_member(room_id, ana, acting=_as_policy(ana, []))
    assert await _owners(rooms, room_id) == [ana]


async def test_two_owners_demoting_each_other_at_once_leave_one_who_was_an_owner(
    database: Database,
) -> None:
    rooms = RoomStore(database)
    owners = await _users(database, OWNERS)
    room_ids = await _rooms_with_owners(rooms, owners)

    async def demote(room_id: int, actor: int, target: int) -> str:
        try:
            await rooms.set_member(room_id, target, "moderator", acting=_as_policy(actor, []))
        except (NotPermitted, LastOwner) as refused:
            return type(refused).__name__
        return "done"

    # with OWNERS owners each demoting the next one in a ring, at least one change must be
    # refused: the one whose actor was demoted first (or the last owner's)
    ring = list(zip(owners, owners[1:] + owners[:1], strict=True))
    outcomes = await asyncio.gather(
        *(demote(room_id, actor, target) for room_id in room_ids for actor, target in ring)
    )
    for n, room_id in enumerate(room_ids):
        mine = outcomes[n * OWNERS : (n + 1) * OWNERS]
        assert "done" in mine
        assert mine.count("done") < OWNERS
        assert len(await _owners(rooms, room_id)) >= 1


async def test_concurrent_role_changes_wait_for_each_other_instead_of_failing(
    database: Database,
) -> None:
    # Reading before writing in a deferred SQLite transaction failed at once with "database
    # is locked" whenever another writer committed in between; 8 writers at a time did.
    rooms = RoomStore(database)
    people = await _users(database, 8)
    [room_id, *_] = await _rooms_with_owners(rooms, people[:1])
    roles = ("observer", "participant", "moderator")

    async def churn(user_id: int) -> None:
        for role in roles * 3:
            await rooms.set_member(room_id, user_id, role)
        await rooms.remove_member(room_id, user_id)
        await rooms.set_member(room_id, user_id, "participant")

    await asyncio.gather(*(churn(user_id) for user_id in people[1:]))
    members = {m.user_id: m.role for m in await rooms.members(room_id)}
    assert members == {people[0]: "owner"} | dict.fromkeys(people[1:], "participant")


async def test_one_user_accepting_several_invitations_at_once_joins_once(
    database: Database,
) -> None:
    # Without the room's lock, PostgreSQL let each acceptance see "not a member yet" and the
    # second insert of the membership failed with a unique violation (a 500).
    rooms = RoomStore(database)
    [ana, boris] = await _users(database, 2)
    [room_id, *_] = await _rooms_with_owners(rooms, [ana])
    hashes = [f"{n:064x}" for n in range(6)]
    later = T0 + timedelta(days=1)
    for token_hash in hashes:
        await rooms.create_invitation(
            room_id, token_hash=token_hash, role="participant", expires_at=later,
            created_by=ana, created_at=T0,
        )  # fmt: skip
    outcomes = await asyncio.gather(*(rooms.accept_invitation(h, boris, T0) for h in hashes))
    assert Counter(outcome for outcome, _ in outcomes) == {
        Acceptance.ACCEPTED: 1,
        Acceptance.ALREADY_MEMBER: len(hashes) - 1,
    }
    assert await rooms.role_of(room_id, boris) == "participant"


async def test_an_invitation_is_refused_when_its_creator_lost_the_right_meanwhile(
    database: Database,
) -> None:
    rooms = RoomStore(database)
    [ana, boris, vera] = await _users(database, 3)
    [room_id, *_] = await _rooms_with_owners(rooms, [ana])
    await rooms.set_member(room_id, boris, "moderator")
    await rooms.create_invitation(
        room_id, token_hash="a" * 64, role="participant", expires_at=T0 + timedelta(days=1),
        created_by=boris, created_at=T0,
    )  # fmt: skip
    asked: list[str | None] = []

    def moderators_invite(role: str | None) -> bool:
        asked.append(role)
        return role in ("owner", "moderator")

    # the caller decided on "moderator"; the store asks again on the role of this moment
    await rooms.set_member(room_id, boris, "observer")
    outcome, invitation = await rooms.accept_invitation(
        "a" * 64, vera, T0, creator_may_invite=moderators_invite
    )
    assert (outcome, asked) == (Acceptance.REVOKED, ["observer"])
    assert invitation is not None
    assert invitation.used_at is None
    assert await rooms.role_of(room_id, vera) is None
    await rooms.set_member(room_id, boris, "moderator")
    outcome, _ = await rooms.accept_invitation(
        "a" * 64, vera, T0, creator_may_invite=moderators_invite
    )
    assert outcome is Acceptance.ACCEPTED
    assert await rooms.role_of(room_id, vera) == "participant"
