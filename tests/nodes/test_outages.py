"""Redis stopped and started again while people edit and talk on two replicas."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from pycrdt import Text
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from client import DocumentClient, LiveClient
from tests.nodes.private_redis import PrivateRedis
from tests.nodes.replicas import replicas, seed_room, stored_updates, text_of
from tests.nodes.test_decisions import call, open_vote
from tests.support.server import ServerProcess
from tests.support.services import postgres_admin_url
from tests.support.waiting import eventually

pytestmark = pytest.mark.postgres


async def status(node: ServerProcess) -> str:
    async with httpx.AsyncClient() as http:
        return str((await http.get(f"{node.http}/readyz")).json()["status"])


async def post_bodies(database_url: str) -> list[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT body FROM messages ORDER BY id"))
            return [row.body for row in rows]
    finally:
        await engine.dispose()


async def test_redis_stopped_and_restarted_loses_and_repeats_nothing(postgres_url: str) -> None:
    people, _ = await seed_room(postgres_url, "veche")
    bus = PrivateRedis()
    await bus.start()
    try:
        async with replicas(postgres_url, 2, env={"VECHE_REDIS_URL": bus.url}) as (one, two):
            editors = [DocumentClient(node.yjs, "outage") for node in (one, two)]
            for editor in editors:
                await editor.connect()
            texts: list[Text] = [e.doc.get("content", type=Text) for e in editors]
            moderator = LiveClient(one.live, "veche", token=people.token("moderator"))
            participant = LiveClient(two.live, "veche", token=people.token("participant"))
            await moderator.connect()
            await participant.connect()
            try:
                texts[0].insert(0, "Чл. 1. ")
                await editors[1].wait_until(lambda: str(texts[1]) == "Чл. 1. ")

                await bus.stop()
                await eventually(reports(one, two, "degraded"), timeout=10)
                texts[0].insert(len(texts[0]), "Пловдив ")
                texts[1].insert(0, "Смолян ")
                await participant.send("post", body="докато Redis го няма")
                for editor in editors:
                    await editor.wait_saved()

                await bus.start()
                await eventually(reports(one, two, "ready"), timeout=15)
                # the bus is back: what each replica missed is read from SQL (a busy machine
                # may take a while; the 5-second check alone would do it too)
                await editors[0].wait_until(lambda: str(texts[0]) == str(texts[1]), timeout=30)
                await editors[1].wait_until(lambda: "Пловдив" in str(texts[1]), timeout=30)
                assert sorted(str(texts[0]).split()) == sorted(["Чл.", "1.", "Пловдив", "Смолян"])
                seen = await moderator.next_event("message.posted", timeout=15)
                assert seen["message"]["body"] == "докато Redis го няма"
                # the bus works again: a new edit crosses at once
                texts[1].insert(len(texts[1]), "✅")
                await editors[0].wait_until(lambda: str(texts[0]).endswith("✅"), timeout=5)
            finally:
                for editor in editors:
                    await editor.close()
                await moderator.close()
                await participant.close()
    finally:
        await bus.stop()
    stored = await stored_updates(postgres_url, "outage")
    assert len(stored) == len(set(stored)), "an update was stored twice"
    assert await post_bodies(postgres_url) == ["докато Redis го няма"]


def reports(one: ServerProcess, two: ServerProcess, wanted: str) -> Callable[[], Awaitable[bool]]:
    """Whether both replicas' /readyz say ``wanted``."""

    async def check() -> bool:
        return [await status(one), await status(two)] == [wanted, wanted]

    return check


@contextlib.asynccontextmanager
async def database_down(database_url: str) -> AsyncIterator[None]:
    """The test's PostgreSQL database refuses connections and its sessions are cut, as in a
    restart of the server (the other tests' databases on it are left alone)."""
    name = make_url(database_url).database
    engine = create_async_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            try:
                await connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                )
                yield
            finally:
                await connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await engine.dispose()


async def test_a_database_outage_holds_writes_then_refuses_them_and_loses_nothing(
    postgres_url: str,
) -> None:
    async with replicas(postgres_url, 2, env={"VECHE_COMMIT_BACKLOG": "20"}) as (one, two):
        editors = [DocumentClient(node.yjs, "outage") for node in (one, two)]
        for editor in editors:
            await editor.connect()
        texts: list[Text] = [e.doc.get("content", type=Text) for e in editors]
        try:
            texts[0].insert(0, "Чл. 1. ")
            await editors[0].wait_saved()
            await editors[1].wait_until(lambda: str(texts[1]) == "Чл. 1. ")
            async with database_down(postgres_url):
                await eventually(reports(one, two, "unavailable"), timeout=10)
                saved_before = editors[0].acknowledged
                for char in "Пловдив":  # held: under the backlog of 20
                    texts[0].insert(len(texts[0]), char)
                await asyncio.sleep(0.5)
                assert editors[0].acknowledged == saved_before  # nothing saved meanwhile
                for char in "и Смолян, общини в Южна България":  # over the backlog
                    texts[0].insert(len(texts[0]), char)
                    await asyncio.sleep(0.01)
                await editors[0].wait_until(lambda: editors[0].close_code == 4500, timeout=10)
            await eventually(reports(one, two, "ready"), timeout=15)
            expected = "Чл. 1. Пловдиви Смолян, общини в Южна България"
            await editors[0].wait_saved(timeout=20)
            await editors[1].wait_until(lambda: str(texts[1]) == expected, timeout=20)
            assert str(texts[0]) == expected
        finally:
            for editor in editors:
                await editor.close()
    assert text_of(await stored_updates(postgres_url, "outage")) == expected


async def test_a_vote_opened_while_redis_is_down_freezes_the_body_on_every_replica_soon(
    postgres_url: str,
) -> None:
    """Cut off from Redis, a replica hears no freeze request; its access review, which runs
    every second while the bus is down (30 s here otherwise), makes the editors read-only."""
    people, _ = await seed_room(postgres_url, "veche")
    bus = PrivateRedis()
    await bus.start()
    env = {"VECHE_REDIS_URL": bus.url, "VECHE_ACCESS_REVIEW": "30"}
    try:
        async with replicas(postgres_url, 2, env=env) as (one, two):
            created = await call(one, people, "participant", "/proposals", {"title": "Парк"})
            assert created.status_code == 201, created.text
            proposal = created.json()
            editor = DocumentClient(two.yjs, proposal["document"], token=people.token("owner"))
            await editor.connect()
            try:
                body = editor.doc.get("content", type=Text)
                body.insert(0, "Чл. 1. Паркът е отворен ✅")
                await editor.wait_saved()
                path = f"/proposals/{proposal['id']}/state"
                moved = await call(one, people, "moderator", path, {"state": "discussion"})
                assert moved.status_code == 200, moved.text
                await bus.stop()
                await eventually(reports(one, two, "degraded"), timeout=10)

                opened = await open_vote(one, people, proposal["id"])
                assert opened.status_code == 201, opened.text
                started = asyncio.get_running_loop().time()
                while editor.permission_denied is None:
                    assert asyncio.get_running_loop().time() - started < 10, "not frozen"
                    body.insert(len(body), "+")
                    await asyncio.sleep(0.2)
            finally:
                await editor.close()
    finally:
        await bus.stop()
