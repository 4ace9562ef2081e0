"""Reads by a set of keys as prepared statements (`PreparedIn`, storage/prepared.py) and the
admission reads built on them, and a statement run for a list of parameter sets, on real
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from storage.access import AccessStore, DocumentPlace
from storage.accounts import AccountStore
from storage.database import Database
from storage.document_log import DocumentLog
from storage.models import RoomMemberRecord, UserRecord
from storage.prepared import IN_SIZES, Prepared, PreparedIn
from storage.proposals import ProposalStore
from storage.rooms import RoomStore
from tests.storage.factories import T0

NAMES = PreparedIn(
    lambda keys: select(UserRecord.name, UserRecord.id).where(UserRecord.name.in_(keys))
)


async def _users(database: Database, count: int, prefix: str = "u") -> dict[str, int]:
    rows = [
        {"name": f"{prefix}{i}", "display_name": f"Участник {i}", "created_at": T0}
        for i in range(count)
    ]
    async with database.writing() as session:
        await session.execute(insert(UserRecord), rows)
        found = await session.execute(select(UserRecord.name, UserRecord.id))
    people: dict[str, int] = {}
    for name, user_id in found.all():
        people[name] = user_id
    return people


async def test_a_set_of_any_size_is_read_whole_with_a_few_statements(database: Database) -> None:
    people = await _users(database, 1_200)
    names = sorted(people)
    used = set()
    for count in (1, 2, 5, 16, 17, 255, 499, 500, 501, 1_200):
        wanted = set(names[:count]) | {"nobody", "никой"}
        reads = NAMES.reads(wanted)
        # at most 500 keys per statement, each list padded to one of the few sizes
        assert len(reads) == -(-len(wanted) // 500)
        for prepared, params in reads:
            assert len(params) in IN_SIZES
            used.add(id(prepared))
        rows = await database.read_keys(NAMES, wanted)
        assert len(rows) == count  # the padding's repeated keys bring no row twice
        assert dict(rows) == {name: people[name] for name in names[:count]}
    assert len(used) <= len(IN_SIZES)
    assert await database.read_keys(NAMES, set()) == []


async def test_roles_by_room_and_a_parameter_beside_the_keys(database: Database) -> None:
    people = await _users(database, 600)
    ids = sorted(people.values())
    rooms = RoomStore(database)
    room = await rooms.create_room(
        "съвет", title="Съвет", description="", visibility="private", owner_id=ids[0], created_at=T0
    )
    other = await rooms.create_room(
        "друг", title="Друг", description="", visibility="public", owner_id=ids[1], created_at=T0
    )
    members = [
        {"room_id": room.id, "user_id": user_id, "role": "participant"} for user_id in ids[2:]
    ]
    async with database.writing() as session:
        await session.execute(insert(RoomMemberRecord), members)
    access = AccessStore(database)
    asked = {(room.id, user_id) for user_id in ids} | {(other.id, ids[5]), (other.id, ids[1])}
    roles = await access.roles(asked)
    assert roles[(room.id, ids[0])] == "owner"
    assert roles[(other.id, ids[1])] == "owner"
    assert (other.id, ids[5]) not in roles
    assert len(roles) == len(ids)  # ids[1] owns the other room only
    assert {role for key, role in roles.items() if key[1] in ids[2:] and key[0] == room.id} == {
        "participant"
    }
    assert await access.rooms({room.id, other.id, 999_999}) == {room.id: room, other.id: other}
    assert await access.rooms_by_slug({"съвет", "няма"}) == {"съвет": room}

    # a parameter beside the keys: sessions live at `now`
    accounts = AccountStore(database)
    end = T0 + timedelta(hours=1)
    for user_id in ids[:3]:
        await accounts.create_session(
            f"s{user_id}", user_id, refresh_token_hash=f"h{user_id}", created_at=T0, expires_at=end
        )
    await accounts.revoke_session(f"s{ids[2]}", T0)
    session_ids = {f"s{user_id}" for user_id in ids[:3]} | {"s-none"}
    assert await access.live_sessions(session_ids, T0) == {f"s{ids[0]}", f"s{ids[1]}"}
    assert await access.live_sessions(session_ids, end) == set()
    active = await accounts.active_sessions(session_ids, T0)
    assert set(active) == {f"s{ids[0]}", f"s{ids[1]}"}
    signed, user = active[f"s{ids[0]}"]
    assert (signed.user_id, signed.expires_at, signed.revoked_at) == (ids[0], end, None)
    assert (user.id, user.name, user.is_admin, user.created_at) == (ids[0], "u0", False, T0)


async def test_tokens_by_hash_leave_out_the_revoked(database: Database) -> None:
    people = await _users(database, 3)
    accounts = AccountStore(database)
    tokens = {
        name: await accounts.create_api_token(user_id, "бот", f"hash-{name}", T0)
        for name, user_id in people.items()
    }
    assert await accounts.revoke_api_token(people["u1"], tokens["u1"].id, T0)
    found = await accounts.read_api_tokens({"hash-u0", "hash-u1", "hash-u2", "hash-x"})
    assert set(found) == {"hash-u0", "hash-u2"}
    token, user = found["hash-u0"]
    assert token == tokens["u0"]
    assert (user.id, user.display_name, user.locale) == (people["u0"], "Участник 0", "bg")
    live = await AccessStore(database).live_api_tokens({t.id for t in tokens.values()})
    assert live == {tokens["u0"].id, tokens["u2"].id}


async def test_places_and_frozen_bodies(database: Database) -> None:
    people = await _users(database, 1)
    rooms, log = RoomStore(database), DocumentLog(database)
    room = await rooms.create_room(
        "съвет",
        title="Съвет",
        description="",
        visibility="public",
        owner_id=people["u0"],
        created_at=T0,
    )
    body, loose, other = [await log.ensure_document(name) for name in ("тяло", "свободен", "д")]
    for document in (body, other):
        await rooms.link_document(room.id, document.id)
    proposals = ProposalStore(database)
    proposal = await proposals.create(room.id, body.id, "Устав", people["u0"], T0)
    await proposals.create(room.id, other.id, "Друг", people["u0"], T0)
    access = AccessStore(database)
    places = await access.places_of({"тяло", "свободен", "д", "няма"})
    assert places == {
        "тяло": DocumentPlace(body.id, room),
        "свободен": DocumentPlace(loose.id, None),
        "д": DocumentPlace(other.id, room),
    }
    assert await access.frozen({body.id, loose.id, other.id}) == set()
    assert await proposals.move(proposal.id, ("draft",), "voting", T0)
    assert await access.frozen({body.id, loose.id, other.id}) == {body.id}
    assert (await access.places_of({"тяло"}))["тяло"].frozen


NEW_USER = Prepared(
    insert(UserRecord).values(
        name=bindparam("name"),
        display_name=bindparam("display_name"),
        locale="bg",
        is_admin=False,
        created_at=T0,
    )
)


async def test_a_statement_runs_once_for_each_parameter_set(database: Database) -> None:
    async with database.prepared_writing() as tx:
        ran = await tx.commit_after(
            (NEW_USER, [{"name": f"m{i}", "display_name": f"Мария {i}"} for i in range(50)])
        )
    assert ran == [[]]  # an executemany returns no rows
    names = await database.read(Prepared(select(UserRecord.display_name).order_by(UserRecord.id)))
    assert [name for (name,) in names] == [f"Мария {i}" for i in range(50)]


async def test_a_refused_parameter_set_stores_none_of_them(database: Database) -> None:
    await _users(database, 1, prefix="taken")
    rows = [{"name": "fresh", "display_name": "Нов"}, {"name": "taken0", "display_name": "Пак"}]
    with pytest.raises(IntegrityError):
        async with database.prepared_writing() as tx:
            await tx.commit_after((NEW_USER, rows))
    names = await database.read(Prepared(select(UserRecord.name)))
    assert names == [("taken0",)]


async def test_a_statement_that_leaves_a_default_to_sqlalchemy_is_refused(
    database: Database,
) -> None:
    # the driver would store NULL where SQLAlchemy's execution fills the column's default in
    lazy = Prepared(insert(UserRecord).values(name=bindparam("name"), display_name="Ана"))
    with pytest.raises(ValueError, match="locale"):
        async with database.prepared_writing() as tx:
            await tx.commit_after((lazy, {"name": "ana"}))
    assert await database.read(Prepared(select(UserRecord.name))) == []
