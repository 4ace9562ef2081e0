"""`GET /api/v1/rooms/{slug}/decision-chain`: the room's chain of decision records checked as
`veche decisions verify` checks it — intact, then broken where a record was changed or one was
removed; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, text, update

from storage.decision_models import DecisionRecord
from tests.server.test_decisions import auth
from tests.support.room_server import private_room_people, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People, services_of
from tests.support.server import RunningServer


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.http}/api/v1/rooms/room") as client:
        yield client


async def decide(http: httpx.AsyncClient, people: People, title: str) -> dict[str, Any]:
    """A vote of its own, one ballot, closed: the room's next decision record."""
    opened = await http.post(
        "/polls",
        json={"title": title, "method": "single_choice", "options": ["а", "б"]},
        headers=auth(people, "moderator"),
    )
    assert opened.status_code == 201, opened.text
    poll = opened.json()
    cast = await http.post(
        f"/polls/{poll['id']}/ballots", json={"choice": "а"}, headers=auth(people, "participant")
    )
    assert cast.status_code == 201, cast.text
    closed = await http.post(f"/polls/{poll['id']}/close", headers=auth(people, "moderator"))
    assert closed.status_code == 200, closed.text
    record: dict[str, Any] = closed.json()
    return record


async def chain(http: httpx.AsyncClient, people: People, caller: str = "observer") -> Any:
    answer = await http.get("/decision-chain", headers=auth(people, caller))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_chain_verifies_and_shows_where_a_tampered_record_breaks_it(
    server: RunningServer, people: People, http: httpx.AsyncClient
) -> None:
    assert await chain(http, people) == {
        "intact": True,
        "records": 0,
        "head_sha256": None,
        "first_break": None,
        "problems": [],
    }
    for title in ("Първо", "Второ", "Трето"):
        await decide(http, people, title)
    listing = (await http.get("/decisions", headers=auth(people, "observer"))).json()
    head = listing["decisions"][-1]["sha256"]
    intact = await chain(http, people)
    assert intact == {
        "intact": True,
        "records": 3,
        "head_sha256": head,
        "first_break": None,
        "problems": [],
    }
    # who may not read the room does not learn about its chain
    hidden = await http.get("/decision-chain", headers=auth(people, "outsider"))
    assert hidden.status_code == 404

    # one character appended to the second record: its hash no longer matches
    database = services_of(server).database
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(DecisionRecord)
            .where(DecisionRecord.position == 2)
            .values(record_json=DecisionRecord.record_json.op("||")(text("' '")))
        )
    broken = await chain(http, people)
    assert broken["intact"] is False
    assert broken["records"] == 3
    assert broken["first_break"] == 2
    assert broken["problems"] == [{"position": 2, "problem": "the record does not match its hash"}]

    # the first record removed: every later one is out of place and the link is broken
    async with database.sessionmaker() as session, session.begin():
        await session.execute(delete(DecisionRecord).where(DecisionRecord.position == 1))
    gone = await chain(http, people)
    assert gone["intact"] is False
    assert gone["records"] == 2
    assert gone["first_break"] == 2
    assert {"position": 2, "problem": "the link to the previous record is broken"} in gone[
        "problems"
    ]
    assert {"position": 2, "problem": "expected position 1"} in gone["problems"]
