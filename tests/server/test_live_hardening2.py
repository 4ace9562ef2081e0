"""Issue 10, second round on live rooms: a secret vote's tally over REST follows the batched
pushes; typing and idle floods cost no database work per frame; joined/left churn is
coalesced. Real sockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from client import LiveClient
from server.live.tallies import PushedTallies, PushedTally
from server.settings import Settings, SettingsError
from tests.server.test_live_tallies import auth, open_secret_poll
from tests.support.room_server import strict
from tests.support.rooms import People, add_participants, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process

VOTERS = ("owner", "moderator", "participant", "voter-4", "voter-5")  # VECHE_SECRET_TALLY_BATCH


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    settings = strict(database_url, live_write_burst=100, live_leave_grace=2.0)
    async with serve_in_process(settings) as running:
        yield running


@pytest.fixture
async def people(server: RunningServer) -> People:
    """The room `room` (public) with five voters."""
    services = services_of(server)
    people = await make_people(services)
    view = await make_room(services, people, "room", visibility="public")
    await add_participants(services, view, people, VOTERS[3:])
    return people


def live(server: RunningServer, people: People, caller: str) -> LiveClient:
    return LiveClient(server.live, "room", token=people.token(caller), reconnect=False)


# -- a secret vote's running tally over REST -------------------------------------------------
async def test_a_secret_tally_over_rest_shows_only_the_batches_pushed(
    server: RunningServer, people: People
) -> None:
    async with (
        httpx.AsyncClient(base_url=f"{server.http}/api/v1/rooms/room") as http,
        live(server, people, "observer") as watcher,
    ):

        async def shown(caller: str = "observer") -> dict[str, Any]:
            answer = await http.get(f"/polls/{poll_id}", headers=auth(people, caller))
            assert answer.status_code == 200, answer.text
            found: dict[str, Any] = answer.json()
            return found

        async def vote(voter: str, choice: str, **more: str) -> dict[str, Any]:
            cast = await http.post(
                f"/polls/{poll_id}/ballots",
                json={"choice": choice, **more},
                headers=auth(people, voter),
            )
            assert cast.status_code in (200, 201), cast.text  # new, or changed
            answer: dict[str, Any] = cast.json()
            return answer

        poll_id = await open_secret_poll(http, people)
        before = await shown()
        assert before["ballots"] == 0
        assert before["tally"]["counts"] == {"а": 0, "б": 0}

        first = await vote("owner", "б")
        # nothing of that ballot shows: the same answer as before it, to the voter too
        assert await shown() == before
        assert {**await shown("owner"), "you_voted": False} == before

        for voter, choice in zip(VOTERS[1:], ("а", "а", "б", "а"), strict=True):
            await vote(voter, choice)
        pushed = await watcher.next_event("poll.tally")
        batch = await shown()
        assert (batch["ballots"], batch["tally"]) == (pushed["ballots"], pushed["tally"])
        assert batch["ballots"] == 5
        assert batch["tally"]["counts"] == {"а": 3, "б": 2}

        # a replaced ballot is one change: it waits for the next batch too
        await vote("owner", "а", receipt=first["receipt"])
        assert await shown() == batch

        closed = await http.post(f"/polls/{poll_id}/close", headers=auth(people, "owner"))
        assert closed.status_code == 200, closed.text
        final = await shown()
        assert final["state"] == "closed"
        assert final["ballots"] == 5
        assert final["tally"]["counts"] == {"а": 4, "б": 1}


async def test_the_batch_is_a_setting_passed_to_the_decisions(database_url: str) -> None:
    settings = strict(database_url, secret_tally_batch=2, secret_tally_seconds=0.0)
    async with (
        serve_in_process(settings) as server,
        httpx.AsyncClient(base_url=f"{server.http}/api/v1/rooms/room") as http,
    ):
        services = services_of(server)
        people = await make_people(services)
        await make_room(services, people, "room", visibility="public")
        terms = {"title": "Две", "method": "single_choice", "options": ["а", "б"]}
        opened = await http.post(
            "/polls",
            json={**terms, "visibility": "always", "secret": True},
            headers=auth(people, "owner"),
        )
        assert opened.status_code == 201, opened.text
        poll_id = opened.json()["id"]
        async with live(server, people, "observer") as watcher:
            for voter in ("owner", "moderator"):
                cast = await http.post(
                    f"/polls/{poll_id}/ballots", json={"choice": "а"}, headers=auth(people, voter)
                )
                assert cast.status_code == 201, cast.text
            pushed = await watcher.next_event("poll.tally")
        assert pushed["ballots"] == 2  # VECHE_SECRET_TALLY_BATCH, not the default 5
        answer = await http.get(f"/polls/{poll_id}", headers=auth(people, "observer"))
        assert answer.json()["tally"]["counts"] == {"а": 2, "б": 0}


def test_secret_tally_settings_are_read_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert (defaults.secret_tally_batch, defaults.secret_tally_seconds) == (5, 10.0)
    assert defaults.live_leave_grace == 2.0
    env = {
        "VECHE_SECRET_TALLY_BATCH": "3",
        "VECHE_SECRET_TALLY_SECONDS": "2.5",
        "VECHE_LIVE_LEAVE_GRACE": "0",
    }
    read = Settings.from_env(env)
    assert (read.secret_tally_batch, read.secret_tally_seconds, read.live_leave_grace) == (
        3,
        2.5,
        0.0,
    )
    with pytest.raises(SettingsError, match="VECHE_SECRET_TALLY_BATCH"):
        Settings.from_env({"VECHE_SECRET_TALLY_BATCH": "0"})


def test_pushed_tallies_keep_the_newest_up_to_their_limit() -> None:
    kept = PushedTallies(limit=2)
    for vote in (1, 2, 3):
        kept.record(vote, PushedTally(vote, None))
    assert [kept.get(vote) for vote in (1, 2, 3)] == [
        None,
        PushedTally(2, None),
        PushedTally(3, None),
    ]
    kept.forget(3)
    assert kept.get(3) is None


# -- typing and idle floods cost no database work per frame ----------------------------------
FLOOD = 2000


@pytest.mark.parametrize(("command", "caller"), [("typing", "participant"), ("idle", "outsider")])
async def test_a_flood_of_typing_or_idle_costs_no_database_round_trip_per_frame(
    server: RunningServer, people: People, command: str, caller: str
) -> None:
    field = "active" if command == "typing" else "idle"
    engine = services_of(server).database.engine.sync_engine
    statements: list[str] = []

    def counted(*args: Any) -> None:  # conn, cursor, statement, parameters, context, many
        statements.append(args[2])

    async with (
        live(server, people, "observer") as bystander,
        live(server, people, "owner") as owner,
        live(server, people, caller) as flooder,
    ):
        event.listen(engine, "before_cursor_execute", counted)
        try:
            started = time.monotonic()
            for i in range(FLOOD):  # alternating: every frame is a change
                await flooder.send_raw(json.dumps({"type": command, field: i % 2 == 1}))
                if i == FLOOD // 2:
                    # the others are still served while the flood's frames queue up
                    posted = await owner.send("post", body="по средата")
                    seen = await bystander.next_event("message.posted", timeout=30)
                    assert seen["id"] == posted["event_id"]
            await flooder.send(command, **{field: True})  # its ack: every frame was handled
            elapsed = time.monotonic() - started
        finally:
            event.remove(engine, "before_cursor_execute", counted)
    # It was two queries a frame (room and role), 4,000 here. Now: one room query a second
    # at most for the flood, the post's own, and the background jobs' (a few a second);
    # counted generously, and growing with the time the flood took on a busy machine.
    assert len(statements) <= 30 + 5 * elapsed, (len(statements), elapsed)


# -- joined/left churn -----------------------------------------------------------------------
CYCLES = 200


async def test_opening_and_closing_in_a_loop_tells_the_room_almost_nothing(
    server: RunningServer, people: People
) -> None:
    async with live(server, people, "observer") as bystander:
        for _ in range(CYCLES):
            async with live(server, people, "participant") as churner:
                assert churner.welcome is not None
        # the person is back for good: the room still counts them present
        async with live(server, people, "participant"), live(server, people, "owner") as late:
            assert late.welcome is not None
            assert "participant" in [p["name"] for p in late.welcome["present"]]
            await late.send("post", body="маркер")
            told = await _presence_until(bystander, "message.posted")
        # gone for good: `left` comes once the grace (VECHE_LIVE_LEAVE_GRACE, 2 s) is over
        told += await _presence_until(bystander, "presence", user="participant", state="left")
        room = await services_of(server).rooms.store.find_room("room")
        assert room is not None
        live_room = services_of(server).live_rooms.get(room.id)
        assert live_room is not None
        assert "participant" not in [p.name for p in await live_room.present()]
    churned = [m["state"] for m in told if m.get("user") == "participant"]
    # It was 400 (a joined and a left a cycle). A cycle slower than the grace on a busy
    # machine tells a pair; a few are allowed, and the states alternate.
    assert churned[0] == "joined"
    assert churned[-1] == "left"
    assert len(churned) <= 8, churned
    assert all(a != b for a, b in itertools.pairwise(churned)), churned


async def _presence_until(client: LiveClient, kind: str, **match: Any) -> list[dict[str, Any]]:
    """The presence events up to the first message of ``kind`` with these fields."""
    told: list[dict[str, Any]] = []
    async with asyncio.timeout(30):
        async for message in client.events():
            if message["type"] == "presence":
                told.append(message)
            if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return told
    raise AssertionError("unreachable")
