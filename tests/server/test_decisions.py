"""Proposals, votes and decision records over the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pycrdt import Text
from sqlalchemy import select, text, update

from client import DocumentClient, LiveClient
from server.accounts.signing import secret_hash
from server.services import Services
from storage.accounts import AccountStore
from storage.database import Database, upgrade
from storage.decision_models import DecisionRecord, PollRecord
from storage.models import ApiTokenRecord, RoomMemberRecord, UserRecord, utc_now
from storage.rooms import RoomStore
from tests.support.room_server import private_room_people, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People, services_of
from tests.support.server import ROOT, RunningServer, ServerProcess
from tests.support.waiting import eventually
from tests.support.yjs_node import YjsNodeClient, require_node

BODY = "Общинският съвет решава: парк на мястото на паркинга."


def auth(people: People, caller: str) -> dict[str, str]:
    token = people.token(caller)
    return {} if token is None else {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.http}/api/v1/rooms/room") as client:
        yield client


async def proposal_in_discussion(
    server: RunningServer, people: People, http: httpx.AsyncClient
) -> dict[str, Any]:
    created = await http.post(
        "/proposals", json={"title": "Парк вместо паркинг"}, headers=auth(people, "participant")
    )
    assert created.status_code == 201, created.text
    proposal: dict[str, Any] = created.json()
    assert proposal["state"] == "draft"
    async with DocumentClient(
        server.yjs, proposal["document"], token=people.token("participant")
    ) as body:
        body.doc.get("content", type=Text).insert(0, BODY)
        await body.wait_saved()
    moved = await http.post(
        f"/proposals/{proposal['id']}/state",
        json={"state": "discussion"},
        headers=auth(people, "moderator"),
    )
    assert moved.status_code == 200, moved.text
    return proposal


def _decoded(value: Any) -> Any:
    """A JSON column read with plain SQL: text on SQLite, already decoded on PostgreSQL."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def verify_cli(url: str, room: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VECHE_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "decisions", "verify", room],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_proposal_is_discussed_voted_and_adopted_with_its_exact_text(
    server: RunningServer, people: People, http: httpx.AsyncClient, database_url: str
) -> None:
    proposal = await proposal_in_discussion(server, people, http)
    async with LiveClient(server.live, "room", token=people.token("observer")) as watcher:
        opened = await http.post(
            f"/proposals/{proposal['id']}/vote",
            json={"visibility": "always", "rules": {"majority": "simple"}},
            headers=auth(people, "moderator"),
        )
        assert opened.status_code == 201, opened.text
        poll = opened.json()
        assert poll["electorate_size"] == 3  # owner, moderator, participant: not the observer
        assert poll["body"]["text_sha256"] == hashlib.sha256(BODY.encode()).hexdigest()
        assert (await watcher.next_event("poll.opened"))["poll"]["id"] == poll["id"]

        for caller, choice in (("owner", "yes"), ("moderator", "yes"), ("participant", "no")):
            cast = await http.post(
                f"/polls/{poll['id']}/ballots",
                json={"choice": choice},
                headers=auth(people, caller),
            )
            assert cast.status_code == 201, cast.text
        tally = await watcher.next_event(lambda m: m["type"] == "poll.tally" and m["ballots"] == 3)
        assert tally["tally"]["counts"] == {"yes": 2, "no": 1, "abstain": 0}
        refused = await http.post(
            f"/polls/{poll['id']}/ballots", json={"choice": "yes"}, headers=auth(people, "observer")
        )
        assert refused.status_code == 403
        bad = await http.post(
            f"/polls/{poll['id']}/ballots", json={"choice": "да"}, headers=auth(people, "owner")
        )
        assert bad.status_code == 422

        closed = await http.post(f"/polls/{poll['id']}/close", headers=auth(people, "moderator"))
        assert closed.status_code == 200, closed.text
        record = closed.json()
        assert (await watcher.next_event("poll.closed"))["decision"] == record
    assert record["outcome"] == "adopted"
    assert record["proposal"]["text"] == BODY
    assert record["proposal"]["text_sha256"] == hashlib.sha256(BODY.encode()).hexdigest()
    assert record["voters"] == ["moderator", "owner", "participant"]
    assert record["ballots"] == [
        {"voter": "moderator", "choice": "yes"},
        {"voter": "owner", "choice": "yes"},
        {"voter": "participant", "choice": "no"},
    ]
    assert (
        await http.post(f"/polls/{poll['id']}/close", headers=auth(people, "moderator"))
    ).status_code == 409
    shown = (
        await http.get(f"/proposals/{proposal['id']}", headers=auth(people, "observer"))
    ).json()
    assert shown["state"] == "adopted"

    # the record's hashes are those of the body as it stands (it stayed frozen)
    async with httpx.AsyncClient(base_url=server.http) as documents:
        content = await documents.get(
            f"/api/v1/documents/{proposal['document']}", headers=auth(people, "observer")
        )
    assert content.json()["content"]["content"] == BODY
    listing = (await http.get("/decisions", headers=auth(people, "observer"))).json()
    [decision] = listing["decisions"]
    stored = await services_of(server).decisions.polls.decisions(
        (await services_of(server).rooms.store.find_room("room")).id  # type: ignore[union-attr]
    )
    assert decision["sha256"] == hashlib.sha256(stored[0].record_json.encode()).hexdigest()
    page = await http.get("/decisions/1.md", headers=auth(people, "observer"))
    assert page.headers["content-type"].startswith("text/markdown")
    assert BODY in page.text
    assert decision["sha256"] in page.text

    intact = await asyncio.to_thread(verify_cli, database_url, "room")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "chain intact" in intact.stdout
    async with services_of(server).database.sessionmaker() as session, session.begin():
        await session.execute(
            update(DecisionRecord).values(
                record_json=DecisionRecord.record_json.op("||")(text("' '"))
            )
        )
    broken = await asyncio.to_thread(verify_cli, database_url, "room")
    assert broken.returncode == 1
    assert "decision 1: the record does not match its hash" in broken.stdout


async def test_a_secret_ballot_links_no_voter_to_a_choice(
    server: RunningServer, people: People, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    for logger in ("server", "storage", "uvicorn"):  # Veche's own logs, at their most verbose
        caplog.set_level(logging.DEBUG, logger=logger)
    opened = await http.post(
        "/polls",
        json={
            "title": "Председател",
            "method": "single_choice",
            "options": ["Ана", "Борис"],
            "secret": True,
        },
        headers=auth(people, "owner"),
    )
    assert opened.status_code == 201, opened.text
    poll = opened.json()
    receipts = {}
    for caller, choice in (("owner", "Ана"), ("moderator", "Борис"), ("participant", "Борис")):
        cast = await http.post(
            f"/polls/{poll['id']}/ballots", json={"choice": choice}, headers=auth(people, caller)
        )
        assert cast.status_code == 201, cast.text
        receipts[caller] = cast.json()["receipt"]
    again = await http.post(
        f"/polls/{poll['id']}/ballots", json={"choice": "Ана"}, headers=auth(people, "participant")
    )
    assert again.status_code == 409  # without the receipt, nobody can tell which ballot is theirs
    replaced = await http.post(
        f"/polls/{poll['id']}/ballots",
        json={"choice": "Ана", "receipt": receipts["participant"]},
        headers=auth(people, "participant"),
    )
    assert replaced.json()["outcome"] == "changed"
    check = await http.get(
        f"/polls/{poll['id']}/receipts/{receipts['participant']}",
        headers=auth(people, "participant"),
    )
    assert check.json() == {"poll_id": poll["id"], "counted": True, "choice": "Ана"}
    unknown = await http.get(f"/polls/{poll['id']}/receipts/nothing", headers=auth(people, "owner"))
    assert unknown.status_code == 404
    record = (await http.post(f"/polls/{poll['id']}/close", headers=auth(people, "owner"))).json()
    assert record["tally"]["counts"] == {"Ана": 2, "Борис": 1}
    assert record["ballots"] is None
    assert record["voters"] == ["moderator", "owner", "participant"]

    # nothing in the database links a voter to a choice
    database = services_of(server).database
    async with database.engine.connect() as connection:
        secret = (await connection.execute(text("SELECT * FROM secret_ballots"))).mappings().all()
        voters = (await connection.execute(text("SELECT * FROM poll_voters"))).mappings().all()
        named = (await connection.execute(text("SELECT count(*) FROM ballots"))).scalar()
        audit = (await connection.execute(text("SELECT details FROM audit_events"))).scalars().all()
    assert {tuple(sorted(row.keys())) for row in secret} == {
        ("choice", "id", "poll_id", "receipt_sha256")
    }
    stored = [row["choice"] for row in secret]
    assert sorted(map(_decoded, stored)) == [
        "Ана",
        "Ана",
        "Борис",
    ]
    assert {tuple(sorted(row.keys())) for row in voters} == {("poll_id", "user_id", "voted")}
    assert named == 0
    assert not any("Ана" in str(details) or "Борис" in str(details) for details in audit)
    for receipt in receipts.values():  # receipts are stored only as their hashes
        assert all(receipt not in str(row) for row in secret)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("server", "storage"))]
    assert not any("Ана" in line or "Борис" in line for line in ours)  # no log line holds a choice


async def test_who_may_propose_open_vote_and_close(
    server: RunningServer, people: People, http: httpx.AsyncClient
) -> None:
    proposal = await proposal_in_discussion(server, people, http)
    expected = {
        "anonymous": 404,
        "bad-token": 401,
        "outsider": 404,
        "observer": 403,
        "participant": 403,
    }
    for caller, status in expected.items():
        response = await http.post(
            f"/proposals/{proposal['id']}/vote", json={}, headers=auth(people, caller)
        )
        assert response.status_code == status, (caller, response.text)
        created = await http.post("/proposals", json={"title": "x"}, headers=auth(people, caller))
        assert created.status_code == (status if caller != "participant" else 201), caller
    opened = await http.post(
        f"/proposals/{proposal['id']}/vote", json={}, headers=auth(people, "owner")
    )
    assert opened.status_code == 201
    twice = await http.post(
        f"/proposals/{proposal['id']}/vote", json={}, headers=auth(people, "owner")
    )
    assert twice.status_code == 409
    poll_id = opened.json()["id"]
    for caller in ("participant", "observer"):
        response = await http.post(f"/polls/{poll_id}/close", headers=auth(people, caller))
        assert response.status_code == 403, caller
    shown = (await http.get(f"/polls/{poll_id}", headers=auth(people, "observer"))).json()
    assert "tally" not in shown  # visibility after_close (the default)
    for body, field in (
        ({"method": "borda", "title": "x", "options": ["a"]}, "rules"),
        ({"method": "stv", "title": "x", "options": ["a", "b"], "rules": {"seats": 3}}, "rules"),
        ({"method": "approval", "title": "x", "options": ["a", "a"]}, "rules"),
        ({"method": "approval", "title": "", "options": ["a"]}, "title"),
        ({"method": "approval", "title": "x", "options": ["a"], "closes_in": -1}, "closes_in"),
        (
            {"method": "approval", "title": "x", "options": ["a"], "visibility": "never"},
            "visibility",
        ),
    ):
        bad = await http.post("/polls", json=body, headers=auth(people, "owner"))
        assert bad.status_code == 422, body
        assert bad.json()["parameter"] == field, body


async def test_a_vote_closes_by_itself_at_its_time_and_refuses_late_ballots(
    server: RunningServer, people: People, http: httpx.AsyncClient
) -> None:
    opened = await http.post(
        "/polls",
        json={"title": "Бързо", "method": "approval", "options": ["а", "б"], "closes_in": 1.0},
        headers=auth(people, "owner"),
    )
    poll = opened.json()
    await http.post(
        f"/polls/{poll['id']}/ballots", json={"choice": ["а"]}, headers=auth(people, "owner")
    )
    async with asyncio.timeout(10):
        while True:
            state = (await http.get(f"/polls/{poll['id']}", headers=auth(people, "owner"))).json()
            if state["state"] == "closed":
                break
            await asyncio.sleep(0.1)
    late = await http.post(
        f"/polls/{poll['id']}/ballots", json={"choice": ["б"]}, headers=auth(people, "participant")
    )
    assert late.status_code == 409
    assert state["tally"]["counts"] == {"а": 1, "б": 0}
    room = await services_of(server).rooms.store.find_room("room")
    assert room is not None
    async with services_of(server).database.sessionmaker() as session:
        rows = (await session.scalars(select(DecisionRecord.poll_id))).all()
    assert rows == [poll["id"]]  # closed exactly once


async def test_the_frozen_body_refuses_the_stock_client_and_the_sdk(
    server: RunningServer, people: People, http: httpx.AsyncClient
) -> None:
    require_node()
    proposal = await proposal_in_discussion(server, people, http)
    name = proposal["document"]
    js = await YjsNodeClient.start(server.yjs, name, people.token("participant"))
    sdk = DocumentClient(server.yjs, name, token=people.token("moderator"))
    try:
        await js.wait_synced()
        await sdk.connect()
        opened = await http.post(
            f"/proposals/{proposal['id']}/vote", json={}, headers=auth(people, "owner")
        )
        assert opened.status_code == 201, opened.text
        frozen_seq = opened.json()["body"]["seq"]
        await js.request("type", text=" ЕДНОСТРАННО", at="end")
        sdk.doc.get("content", type=Text).insert(0, "ПРОМЯНА ")
        await sdk.wait_until(lambda: sdk.permission_denied is not None, timeout=10)
        for _ in range(100):
            status = await js.request("status")
            if status["permissionDenied"] is not None:
                break
            await js.request("waitText", contains=["\u0000"], timeoutMs=50)
        assert status["permissionDenied"] == "permission-denied"
        # a client connecting now is read-only from the start
        late = await YjsNodeClient.start(server.yjs, name, people.token("owner"))
        try:
            await late.wait_synced()
            assert (await late.request("text"))["text"] == BODY
        finally:
            await late.close()
    finally:
        await js.close()
        await sdk.close()
    stored = await services_of(server).log.load(name)
    assert stored.last_seq == frozen_seq  # nothing after the freeze reached the log
    record = (
        await http.post(f"/polls/{opened.json()['id']}/close", headers=auth(people, "owner"))
    ).json()
    assert record["proposal"]["text"] == BODY
    assert record["proposal"]["text_sha256"] == hashlib.sha256(BODY.encode()).hexdigest()


async def add_voters(database: Database, room_id: int, count: int) -> list[str]:
    """``count`` participants of the room with an API token each, in one transaction."""
    now = utc_now()
    tokens = [f"vch_voter-{i}-{secrets.token_urlsafe(16)}" for i in range(count)]
    async with database.sessionmaker() as session, session.begin():
        users = [
            UserRecord(
                name=f"voter{i}",
                display_name=f"Гласоподавател {i}",
                locale="bg",
                password_hash=None,
                is_admin=False,
                created_at=now,
            )
            for i in range(count)
        ]
        session.add_all(users)
        await session.flush()
        session.add_all(
            RoomMemberRecord(room_id=room_id, user_id=u.id, role="participant") for u in users
        )
        session.add_all(
            ApiTokenRecord(user_id=u.id, label="vote", token_hash=secret_hash(t), created_at=now)
            for u, t in zip(users, tokens, strict=True)
        )
    return tokens


@pytest.mark.postgres
async def test_a_thousand_concurrent_ballots_count_once_per_voter_and_none_after_close(
    postgres_url: str,
) -> None:
    """1,000 ballots: 300 voters twice at once; 100 others twice while the vote closes; the
    same 100 twice again after the close. Exactly the ballots accepted are counted, once."""
    await upgrade(postgres_url)
    async with Database(postgres_url) as database:
        accounts = AccountStore(database)
        owner = await accounts.create_user(
            "owner",
            display_name="Owner",
            locale="bg",
            password_hash=None,
            is_admin=False,
            created_at=utc_now(),
        )
        owner_token = "vch_owner-" + secrets.token_urlsafe(16)
        rooms = RoomStore(database)
        room = await rooms.create_room(
            "room",
            title="Съвет",
            description="",
            visibility="private",
            owner_id=owner.id,
            created_at=utc_now(),
        )
        async with database.sessionmaker() as session, session.begin():
            session.add(
                ApiTokenRecord(
                    user_id=owner.id,
                    label="own",
                    token_hash=secret_hash(owner_token),
                    created_at=utc_now(),
                )
            )
        voters = await add_voters(database, room.id, 400)
    # a server of its own, so that the load and the server use a core each
    server = ServerProcess(postgres_url)
    await server.start()
    try:
        limits = httpx.Limits(max_connections=32)
        base = f"{server.http}/api/v1/rooms/room"
        owner_auth = {"Authorization": f"Bearer {owner_token}"}
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
            opened = await http.post(
                "/polls",
                json={"title": "Бюджет 2027", "method": "yes_no_abstain", "allow_change": False},
                headers=owner_auth,
            )
            assert opened.status_code == 201, opened.text
            poll_id = opened.json()["id"]
            gate = asyncio.Semaphore(32)  # httpx's pool slows down with hundreds queued

            async def vote(token: str, choice: str) -> int:
                async with gate:
                    response = await http.post(
                        f"/polls/{poll_id}/ballots",
                        json={"choice": choice},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                return response.status_code

            first, racing = voters[:300], voters[300:]
            statuses = await asyncio.gather(*(vote(t, c) for t in first for c in ("yes", "no")))
            assert statuses.count(201) == 300
            assert statuses.count(409) == 300  # the second ballot of each voter
            closing = asyncio.create_task(http.post(f"/polls/{poll_id}/close", headers=owner_auth))
            during = await asyncio.gather(*(vote(t, c) for t in racing for c in ("no", "yes")))
            closed = await closing
            assert closed.status_code == 200, closed.text
            after = await asyncio.gather(*(vote(t, c) for t in racing for c in ("yes", "no")))
        record = closed.json()
        accepted = statuses.count(201) + during.count(201)
        assert set(during) <= {201, 409}
        assert during.count(201) <= 100  # at most one per racing voter
        assert set(after) == {409}  # nothing after the close
        assert len(statuses) + len(during) + len(after) == 1000
        assert record["turnout"] == accepted
        counts = record["tally"]["counts"]
        assert counts["yes"] + counts["no"] == accepted
        assert len({b["voter"] for b in record["ballots"]}) == accepted
    finally:
        await server.stop()
    async with Database(postgres_url) as database, database.engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT count(*) FROM ballots WHERE poll_id = :p"), {"p": poll_id}
        )
        voted = await connection.scalar(
            text("SELECT count(*) FROM poll_voters WHERE poll_id = :p AND voted"), {"p": poll_id}
        )
    assert stored == voted == accepted


async def test_an_adopted_amendment_is_merged_into_its_base(
    server: RunningServer, people: People, http: httpx.AsyncClient
) -> None:
    base = await proposal_in_discussion(server, people, http)
    created = await http.post(
        f"/proposals/{base['id']}/amendments",
        json={"title": "По-голям парк"},
        headers=auth(people, "participant"),
    )
    assert created.status_code == 201, created.text
    amendment = created.json()
    assert amendment["amends"] == base["id"]
    participant = people.token("participant")
    async with (
        DocumentClient(server.yjs, base["document"], token=participant) as on_base,
        DocumentClient(server.yjs, amendment["document"], token=participant) as on_amendment,
    ):
        assert str(on_amendment.doc.get("content", type=Text)) == BODY  # seeded with the base
        base_text = on_base.doc.get("content", type=Text)
        base_text.insert(len(base_text), " Срок: 2027.")  # the base goes on after the fork
        on_amendment.doc.get("content", type=Text).insert(0, "Изменение: ")
        await on_base.wait_saved()
        await on_amendment.wait_saved()
        async with LiveClient(server.live, "room", token=people.token("observer")) as watcher:
            for step, path, body in (
                ("state", f"/proposals/{amendment['id']}/state", {"state": "discussion"}),
                ("vote", f"/proposals/{amendment['id']}/vote", {}),
            ):
                response = await http.post(path, json=body, headers=auth(people, "moderator"))
                assert response.status_code in (200, 201), (step, response.text)
            poll_id = response.json()["id"]
            for caller in ("owner", "moderator"):
                await http.post(
                    f"/polls/{poll_id}/ballots",
                    json={"choice": "yes"},
                    headers=auth(people, caller),
                )
            record = (
                await http.post(f"/polls/{poll_id}/close", headers=auth(people, "owner"))
            ).json()
            merged = await watcher.next_event("amendment.merged")
        assert record["outcome"] == "adopted"
        assert record["proposal"]["amends"] == base["id"]
        assert merged["base"] == base["id"]
        expected = "Изменение: " + BODY + " Срок: 2027."
        await on_base.wait_until(lambda: str(base_text) == expected)  # relayed to the base's editor
    async with httpx.AsyncClient(base_url=server.http) as documents:
        content = await documents.get(
            f"/api/v1/documents/{base['document']}", headers=auth(people, "observer")
        )
        history = await documents.get(
            f"/api/v1/documents/{base['document']}/history", headers=auth(people, "observer")
        )
    assert content.json()["content"]["content"] == expected
    assert history.json()["versions"][0]["last_seq"] == merged["seq"]
    # a proposal under a vote takes no amendments
    opened = await http.post(
        f"/proposals/{base['id']}/vote", json={}, headers=auth(people, "owner")
    )
    assert opened.status_code == 201
    late = await http.post(
        f"/proposals/{base['id']}/amendments",
        json={"title": "късно"},
        headers=auth(people, "owner"),
    )
    assert late.status_code == 409


async def test_a_scheduled_vote_opens_with_the_electorate_of_that_moment(
    server: RunningServer, people: People, http: httpx.AsyncClient
) -> None:
    # No race with the clock: the vote is scheduled an hour ahead, its time is moved to now
    # only once the new member has joined, and it stays open until it is closed by hand (a
    # late scheduler tick on a busy machine used to open and close a 1 s vote at once).
    opened = await http.post(
        "/polls",
        json={
            "title": "По-късно",
            "method": "single_choice",
            "options": ["а", "б"],
            "opens_in": 3600.0,
        },
        headers=auth(people, "owner"),
    )
    assert opened.status_code == 201, opened.text
    poll = opened.json()
    assert (poll["state"], poll["electorate_size"]) == ("scheduled", 0)
    early = await http.post(
        f"/polls/{poll['id']}/ballots", json={"choice": "а"}, headers=auth(people, "participant")
    )
    assert early.status_code == 409
    assert early.json()["type"] == "urn:veche:problem:poll-not-open"
    # a member who joins before the opening is in the electorate
    services = services_of(server)
    view = await services.rooms.view("room", people.users["owner"])
    await services.rooms.set_member(view, "outsider", "participant", None)
    async with services.database.sessionmaker() as session, session.begin():
        await session.execute(
            update(PollRecord).where(PollRecord.id == poll["id"]).values(opens_at=utc_now())
        )
    # the opening time changed outside the service: tell its timer (set for an hour ahead)
    services.decisions.deadlines.reschedule()

    current: dict[str, Any] = {}

    async def is_open() -> bool:
        answer = await http.get(f"/polls/{poll['id']}", headers=auth(people, "owner"))
        current.update(answer.json())
        return bool(current["state"] == "open")

    await eventually(is_open, timeout=30)  # the scheduler looks once a second
    assert current["electorate_size"] == 4
    cast = await http.post(
        f"/polls/{poll['id']}/ballots", json={"choice": "б"}, headers=auth(people, "outsider")
    )
    assert cast.status_code == 201, cast.text
    closed = await http.post(f"/polls/{poll['id']}/close", headers=auth(people, "owner"))
    assert closed.status_code == 200, closed.text
    final = (await http.get(f"/polls/{poll['id']}", headers=auth(people, "owner"))).json()
    assert final["state"] == "closed"
    assert final["tally"]["counts"] == {"а": 0, "б": 1}


async def test_visibility_minimum_changes_and_two_nodes_closing_at_once(
    server: RunningServer, people: People, http: httpx.AsyncClient
) -> None:
    opened = await http.post(
        "/polls",
        json={
            "title": "Видимост",
            "method": "approval",
            "options": ["а", "б", "в"],
            "visibility": "after_vote",
            "min_ballots": 2,
        },
        headers=auth(people, "owner"),
    )
    poll_id = opened.json()["id"]

    async def shown(caller: str) -> dict[str, Any]:
        answer: dict[str, Any] = (
            await http.get(f"/polls/{poll_id}", headers=auth(people, caller))
        ).json()
        return answer

    async with (
        LiveClient(server.live, "room", token=people.token("owner")) as voter,
        LiveClient(server.live, "room", token=people.token("participant")) as onlooker,
    ):
        first = await http.post(
            f"/polls/{poll_id}/ballots", json={"choice": ["а"]}, headers=auth(people, "owner")
        )
        assert first.status_code == 201
        assert "tally" not in await shown("owner")  # voted, but fewer than min_ballots
        pushed = await voter.next_event("poll.tally")
        assert (pushed["ballots"], "tally" in pushed) == (1, False)
        await http.post(
            f"/polls/{poll_id}/ballots", json={"choice": ["б"]}, headers=auth(people, "moderator")
        )
        assert (await shown("owner"))["tally"]["counts"] == {"а": 1, "б": 1, "в": 0}
        assert "tally" not in await shown("participant")  # has not voted: after_vote hides it
        # the live pushes say the same: the count to who voted, only the number to others
        pushed = await voter.next_event(lambda m: m["type"] == "poll.tally" and m["ballots"] == 2)
        assert pushed["tally"]["counts"] == {"а": 1, "б": 1, "в": 0}
        seen = await onlooker.next_event(lambda m: m["type"] == "poll.tally" and m["ballots"] == 2)
        assert "tally" not in seen
    changed = await http.post(
        f"/polls/{poll_id}/ballots", json={"choice": ["б", "в"]}, headers=auth(people, "owner")
    )
    assert changed.status_code == 200
    assert changed.json() == {"outcome": "changed"}
    assert (await shown("moderator"))["tally"]["counts"] == {"а": 0, "б": 2, "в": 1}

    # a second node on the same database: both close at once, one record is written
    other = await Services.start(server.settings, migrate=False)
    try:
        poll = await services_of(server).decisions.polls.get(
            (await services_of(server).rooms.store.find_room("room")).id,  # type: ignore[union-attr]
            poll_id,
        )
        assert poll is not None
        here, there = await asyncio.gather(
            services_of(server).decisions.closer.close_poll(poll, actor=None, address=None),
            other.decisions.closer.close_poll(poll, actor=None, address=None),
        )
    finally:
        await other.stop()
    assert [here is None, there is None].count(True) == 1
    record = here or there
    assert record is not None
    assert record["tally"]["counts"] == {"а": 0, "б": 2, "в": 1}
    listing = (await http.get("/decisions", headers=auth(people, "observer"))).json()
    assert len(listing["decisions"]) == 1
