"""Votes open and close at their time by a timer set to the next deadline, not by a query
each second (server/decisions/schedule.py)."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.room_server import private_room_people, strict_room_server  # noqa: F401
from tests.support.rooms import People, services_of
from tests.support.server import RunningServer
from tests.support.waiting import eventually


async def test_a_far_deadline_costs_no_query_and_a_near_one_fires_on_time(
    server: RunningServer, people: People
) -> None:
    services = services_of(server)
    deadlines = services.decisions.deadlines
    auth = {"Authorization": f"Bearer {people.token('owner')}"}
    async with httpx.AsyncClient(base_url=f"{server.http}/api/v1/rooms/room") as http:
        far = {"title": "Далече", "method": "approval", "options": ["а"], "closes_in": 3600.0}
        assert (await http.post("/polls", json=far, headers=auth)).status_code == 201
        rounds = deadlines.rounds
        await asyncio.sleep(2.5)  # a poll each second would have run twice by now
        assert deadlines.rounds == rounds
        near = {"title": "Близо", "method": "approval", "options": ["а"], "closes_in": 0.5}
        opened = await http.post("/polls", json=near, headers=auth)
        poll = opened.json()
    room = await services.rooms.store.find_room("room")
    assert room is not None

    async def fired() -> bool:
        return deadlines.rounds > rounds

    await eventually(fired)  # in-process counter, but set by a timer: nothing to await
    closed = await services.decisions.polls.get(room.id, poll["id"])
    assert closed is not None
    assert closed.state == "closed"
    assert deadlines.rounds == rounds + 1  # one round, at the near deadline


async def test_held_deadlines_wait_for_run_due(server: RunningServer, people: People) -> None:
    services = services_of(server)
    deadlines = services.decisions.deadlines
    deadlines.hold()
    auth = {"Authorization": f"Bearer {people.token('owner')}"}
    async with httpx.AsyncClient(base_url=f"{server.http}/api/v1/rooms/room") as http:
        near = {"title": "Задържано", "method": "approval", "options": ["а"], "closes_in": 0.2}
        opened = await http.post("/polls", json=near, headers=auth)
        assert opened.status_code == 201
    room = await services.rooms.store.find_room("room")
    assert room is not None
    rounds = deadlines.rounds
    await asyncio.sleep(0.6)  # three times the deadline: a timer would have fired
    held = await services.decisions.polls.get(room.id, opened.json()["id"])
    assert held is not None
    assert (held.state, deadlines.rounds) == ("open", rounds)
    await deadlines.run_due()
    closed = await services.decisions.polls.get(room.id, opened.json()["id"])
    assert closed is not None
    assert (closed.state, deadlines.rounds) == ("closed", rounds + 1)
