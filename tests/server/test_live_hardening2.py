"""Issue 10, second round on live rooms: a secret vote's tally over REST follows the batched
pushes; typing and idle floods cost no database work per frame; joined/left churn is
coalesced. Real sockets, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from client import LiveClient
from storage.models import utc_now
from tests.server.test_document_access import strict
from tests.support.rooms import People, make_people, make_room, services_of
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
    for name in VOTERS[3:]:
        user = await services.accounts.store.create_user(
            name,
            display_name=name,
            locale="bg",
            password_hash=None,
            is_admin=False,
            created_at=utc_now(),
        )
        _, secret = await services.accounts.issue_api_token(user, "tests")
        people.users[name], people.tokens[name] = user, secret
        await services.rooms.set_member(view, name, "participant", None)
    return people


def live(server: RunningServer, people: People, caller: str) -> LiveClient:
    return LiveClient(server.live, "room", token=people.token(caller), reconnect=False)


def auth(people: People, caller: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people.token(caller)}"}


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

        opened = await http.post(
            "/polls",
            json={
                "title": "Тайно",
                "method": "single_choice",
                "options": ["а", "б"],
                "visibility": "always",
                "secret": True,
            },
            headers=auth(people, "owner"),
        )
        assert opened.status_code == 201, opened.text
        poll_id = opened.json()["id"]
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
