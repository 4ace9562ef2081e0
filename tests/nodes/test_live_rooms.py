"""Live rooms on several replicas: events, passing messages and resumes cross them."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from client import DocumentClient, LiveClient
from tests.nodes.replicas import replicas, seed_room
from tests.support.rooms import People
from tests.support.server import ServerProcess
from tests.support.yjs_node import YjsNodeClient, require_node

pytestmark = pytest.mark.postgres

# docs/scaling.md: a dead node's people are told `left`, and its clients' cursors are
# dropped, within this
BOUND = 20.0


def on(node: ServerProcess, people: People, caller: str, **options: object) -> LiveClient:
    return LiveClient(node.live, "veche", token=people.token(caller), **options)  # type: ignore[arg-type]


async def test_messages_typing_moderation_and_the_queue_reach_every_replica(
    postgres_url: str,
) -> None:
    people, _ = await seed_room(postgres_url, "veche")
    async with (
        replicas(postgres_url, 2) as (one, two),
        on(one, people, "moderator") as moderator,
        on(two, people, "participant") as participant,
        on(two, people, "observer") as observer,
    ):
        posted = await participant.send("post", body="Предлагам точка 2 ✅")
        for watcher in (moderator, observer):
            seen = await watcher.next_event("message.posted")
            assert (seen["id"], seen["message"]["body"]) == (
                posted["event_id"],
                "Предлагам точка 2 ✅",
            )

        await participant.send("typing", active=True)
        typing = await moderator.next_event("typing")
        assert (typing["user"], typing["active"]) == ("participant", True)

        await moderator.send("hide", message_id=posted["message_id"], reason="обида")
        hidden = await observer.next_event("message.hidden")
        assert (hidden["message"]["id"], hidden["message"]["body"]) == (posted["message_id"], None)

        await participant.send("raise_hand")
        queue = await moderator.next_event("queue.changed")
        assert queue["queue"] == ["participant"]


async def test_a_client_resuming_on_another_replica_gets_exactly_what_it_missed(
    postgres_url: str,
) -> None:
    people, _ = await seed_room(postgres_url, "veche")
    async with replicas(postgres_url, 2) as (one, two):
        async with (
            on(one, people, "observer", reconnect=False) as observer,
            on(one, people, "participant") as participant,
        ):
            before = await participant.send("post", body="преди")
            await observer.next_event("message.posted")
            last_seen = observer.last_event_id
            assert last_seen == before["event_id"]
        async with on(two, people, "participant") as participant:
            missed = [
                (await participant.send("post", body=f"докато го нямаше {n}"))["event_id"]
                for n in range(3)
            ]
        async with on(two, people, "observer", since=last_seen) as resumed:
            got = [(await resumed.next_event("message.posted"))["id"] for _ in missed]
            assert got == missed
            assert [m for m in resumed.pending() if m.get("type") == "message.posted"] == []


async def test_presence_is_the_union_over_replicas_and_told_once(postgres_url: str) -> None:
    people, _ = await seed_room(postgres_url, "veche")
    async with (
        replicas(postgres_url, 2) as (one, two),
        on(one, people, "moderator") as moderator,
    ):
        async with on(two, people, "participant") as first:
            joined = await moderator.next_event("presence")
            assert (joined["user"], joined["state"]) == ("participant", "joined")
            async with on(one, people, "participant") as second:
                assert second.welcome is not None
                names = [p["name"] for p in second.welcome["present"]]
                assert names == ["moderator", "participant"]
                await second.send("post", body="и от двата възела")
                # the second connection, on another replica, told nobody it joined
                seen = await moderator.next_event(lambda m: m.get("type") != "typing")
                assert seen["type"] == "message.posted", seen
            await first.send("idle", idle=False)
        left = await moderator.next_event("presence")
        assert (left["user"], left["state"]) == ("participant", "left")


async def test_a_killed_replicas_people_leave_and_its_cursors_go_within_the_bound(
    postgres_url: str,
) -> None:
    require_node()
    people, _ = await seed_room(postgres_url, "veche", documents=("устав",))
    token = people.token("participant")
    async with (
        replicas(postgres_url, 2) as (survivor, doomed),
        on(survivor, people, "moderator") as moderator,
    ):
        member = on(doomed, people, "participant", reconnect=False)
        await member.connect()
        await moderator.next_event("presence")
        there = await YjsNodeClient.start(doomed.yjs, "устав", token)
        here = await YjsNodeClient.start(survivor.yjs, "устав", people.token("moderator"))
        try:
            await there.wait_synced()
            await here.wait_synced()
            await there.request("awareness", state={"user": {"name": "Борис"}})
            assert (await here.request("waitPeers", count=1, timeoutMs=10_000)).get("ok")
            killed_at = asyncio.get_running_loop().time()
            await doomed.kill()
            left, gone = await asyncio.gather(
                moderator.next_event("presence", timeout=BOUND + 5),
                here.request("waitPeers", count=0, timeoutMs=int(BOUND * 1000), timeout=60),
            )
            took = asyncio.get_running_loop().time() - killed_at
            assert (left["user"], left["state"]) == ("participant", "left")
            assert gone.get("ok"), gone
            assert took <= BOUND, took
        finally:
            await asyncio.gather(there.close(), here.close(), member.close())


async def test_a_member_removed_through_one_replica_is_closed_on_another(
    postgres_url: str,
) -> None:
    people, _ = await seed_room(postgres_url, "veche", documents=("устав",))
    # the periodic review is a minute away: only the bus can tell replica two in time
    async with replicas(postgres_url, 2, env={"VECHE_ACCESS_REVIEW": "60"}) as (one, two):
        member = on(two, people, "participant", reconnect=False)
        await member.connect()
        editor = DocumentClient(two.yjs, "устав", token=people.token("participant"))
        await editor.connect()
        try:
            async with httpx.AsyncClient(base_url=f"{one.http}/api/v1") as http:
                removed = await http.delete(
                    "/rooms/veche/members/participant",
                    headers={"Authorization": f"Bearer {people.token('owner')}"},
                )
            assert removed.status_code == 204, removed.text
            code = await member.wait_closed(timeout=3)
            assert code is not None
            assert 4400 <= code < 4500
            await editor.wait_until(lambda: editor.close_code is not None, timeout=3)
            assert editor.close_code is not None
            assert 4400 <= editor.close_code < 4500
        finally:
            await member.close()
            await editor.close()


async def test_the_floor_time_is_told_once_everywhere_even_when_its_giver_died(
    postgres_url: str,
) -> None:
    people, _ = await seed_room(postgres_url, "veche")
    async with (
        replicas(postgres_url, 2) as (doomed, survivor),
        on(survivor, people, "participant") as participant,
    ):
        moderator = on(doomed, people, "moderator", reconnect=False)
        await moderator.connect()
        try:
            first = (await moderator.send("give_floor", user="participant", seconds=1))["floor"]
            for watcher in (participant, moderator):
                time_up = await watcher.next_event("floor.time_up", timeout=10)
                assert time_up == {"type": "floor.time_up", "floor": first}
            # each replica tells its own people: nobody hears it twice
            with pytest.raises(TimeoutError):
                await participant.next_event("floor.time_up", timeout=1.5)

            second = (await moderator.send("give_floor", user="owner", seconds=2))["floor"]
            assert (await participant.next_event("floor.changed"))["floor"] == second
            await doomed.kill()  # the node that gave the floor, and set its timer, is gone
            time_up = await participant.next_event("floor.time_up", timeout=10)
            assert time_up == {"type": "floor.time_up", "floor": second}
        finally:
            await moderator.close()
