"""Issue 10: a secret vote's running tally (visibility `always`) reaches the live room in
batches, so that no push shows one ballot on its own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from client import LiveClient
from server.live.tallies import SECRET_TALLY_BATCH, BallotBatches
from tests.support.room_server import strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People, add_participants, make_people, make_room, services_of
from tests.support.server import RunningServer

VOTERS = ("owner", "moderator", "participant", "voter-4", "voter-5")
assert len(VOTERS) == SECRET_TALLY_BATCH


@pytest.fixture
async def people(server: RunningServer) -> People:
    services = services_of(server)
    people = await make_people(services)
    view = await make_room(services, people, "room", visibility="private")
    await add_participants(services, view, people, VOTERS[3:])
    return people


async def open_secret_poll(http: httpx.AsyncClient, people: People) -> int:
    """A secret single-choice vote, its tally visible `always`, opened by the owner."""
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
    poll_id: int = opened.json()["id"]
    return poll_id


def auth(people: People, caller: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people.token(caller)}"}


async def test_a_secret_tally_is_pushed_only_for_a_batch_of_ballots(
    server: RunningServer, people: People
) -> None:
    async with (
        httpx.AsyncClient(base_url=f"{server.http}/api/v1/rooms/room") as http,
        LiveClient(server.live, "room", token=people.token("observer")) as watcher,
        LiveClient(server.live, "room", token=people.token("moderator")) as chair,
    ):
        poll_id = await open_secret_poll(http, people)
        await watcher.next_event("poll.opened")

        cast = await http.post(
            f"/polls/{poll_id}/ballots", json={"choice": "б"}, headers=auth(people, "owner")
        )
        assert cast.status_code == 201, cast.text
        # a marker a second later (the speaking timer's end): a push for this one ballot
        # would have come ~50 ms after it, so before the marker
        await chair.send("give_floor", user="participant", seconds=1)
        before_marker: list[dict[str, Any]] = []
        async for message in watcher.events():
            before_marker.append(message)
            if message["type"] == "floor.time_up":
                break
        assert [m for m in before_marker if m["type"] == "poll.tally"] == []

        for voter, choice in zip(VOTERS[1:], ("а", "а", "б", "а"), strict=True):
            cast = await http.post(
                f"/polls/{poll_id}/ballots", json={"choice": choice}, headers=auth(people, voter)
            )
            assert cast.status_code == 201, cast.text
        pushed = await watcher.next_event("poll.tally")
        # the first push shows the whole batch at once, never fewer ballots
        assert pushed["ballots"] == SECRET_TALLY_BATCH
        assert pushed["tally"]["counts"] == {"а": 3, "б": 2}

        closed = await http.post(f"/polls/{poll_id}/close", headers=auth(people, "owner"))
        assert closed.status_code == 200, closed.text
        assert (await watcher.next_event("poll.closed"))["poll"]["id"] == poll_id


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ballot_batches_wait_for_a_batch_and_for_the_interval() -> None:
    clock = Clock()
    batches = BallotBatches(batch=3, every=10.0, clock=clock)
    vote = (1, 7)
    assert [batches.ballot(vote) for _ in range(2)] == [None, None]
    assert batches.ballot(vote) == 0.0  # a batch, and no push before: now
    batches.pushed(vote)
    clock.now += 4.0
    assert [batches.ballot(vote) for _ in range(2)] == [None, None]
    assert batches.ballot(vote) == pytest.approx(6.0)  # a batch, but the last push was 4 s ago
    clock.now += 6.0
    assert batches.ballot(vote) == 0.0
    batches.pushed(vote)
    batches.forget(vote)  # closed: nothing of it is kept
    assert batches.ballot(vote) is None
    assert batches.ballot((2, 1)) is None  # votes are counted apart
