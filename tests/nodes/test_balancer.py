"""Replicas behind Debian's nginx running the repository's load-balancer configuration."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from client import LiveClient
from crdt.messages import SyncStep1, SyncStep2, encode_message
from server.closecodes import CloseCode
from tests.nodes.balancer import Balancer, NotReady, replica_environment
from tests.nodes.replicas import replicas, seed_room, stored_updates, text_of
from tests.support.server import ServerProcess
from tests.support.waiting import eventually
from tests.support.wire import RawPeer
from tests.support.yjs_node import YjsNodeClient, require_node

pytestmark = pytest.mark.postgres


@contextlib.asynccontextmanager
async def balanced(
    database_url: str, count: int
) -> AsyncIterator[tuple[Balancer, list[ServerProcess]]]:
    async with replicas(database_url, count, env=replica_environment()) as nodes:
        balancer = Balancer([node.port for node in nodes])
        await balancer.start()
        try:
            yield balancer, nodes
        finally:
            await balancer.stop()


def open_sockets(metrics: str) -> int:
    """The replica's open document sockets, read from its /metrics text."""
    found = re.search(r"^veche_connections (\S+)$", metrics, re.MULTILINE)
    assert found is not None, metrics[:500]
    return int(float(found.group(1)))


async def connections(node: ServerProcess) -> int:
    async with httpx.AsyncClient() as http:
        return open_sockets((await http.get(f"{node.http}/metrics")).text)


async def synced(url: str, **options: str) -> RawPeer:
    """A raw y-websocket peer that completed the sync handshake."""
    peer = await RawPeer.open(url, **options)
    assert isinstance(await peer.recv_message(), SyncStep1)
    await peer.send(encode_message(SyncStep1(b"\x00")))
    assert isinstance(await peer.recv_until(lambda m: isinstance(m, SyncStep2)), SyncStep2)
    return peer


async def test_requests_reach_both_replicas_and_go_on_when_one_is_killed(
    postgres_url: str,
) -> None:
    async with balanced(postgres_url, 2) as (balancer, (one, _)):
        marker = await synced(f"{one.yjs}/marker")  # straight to `one`: its metrics differ
        try:

            async def counted() -> bool:
                return await connections(one) == 1

            await eventually(counted, 10)
            async with httpx.AsyncClient(base_url=balancer.http, timeout=5) as http:
                seen = [open_sockets((await http.get("/metrics")).text) for _ in range(8)]
            assert set(seen) == {0, 1}, f"answered by one replica only: {seen}"
        finally:
            await marker.close()

        await one.kill()
        async with httpx.AsyncClient(base_url=balancer.http, timeout=5) as http:
            answers = [(await http.get("/readyz")).status_code for _ in range(10)]
        assert answers == [200] * 10
        for name in ("after-1", "after-2"):  # sockets opened after the kill land on `two`
            peer = await synced(f"{balancer.yjs}/{name}")
            await peer.close()


async def test_websockets_upgrade_through_the_balancer_with_the_browsers_host(
    postgres_url: str,
) -> None:
    people, _ = await seed_room(postgres_url, "veche")
    async with balanced(postgres_url, 2) as (balancer, _):
        # the page's own origin passes with no VECHE_ALLOWED_ORIGINS: the replica compares it
        # with the Host the browser sent, which nginx must pass on for sockets too
        peer = await synced(f"{balancer.yjs}/draft", origin=balancer.http)
        await peer.close()
        stranger = await RawPeer.open(f"{balancer.yjs}/draft", origin="http://elsewhere.example")
        assert await stranger.closed_with() == CloseCode.FORBIDDEN

        async with (
            LiveClient(balancer.live, "veche", token=people.token("moderator")) as moderator,
            LiveClient(balancer.live, "veche", token=people.token("participant")) as participant,
        ):
            posted = await participant.send("post", body="През балансьора ✅")
            seen = await moderator.next_event("message.posted")
            assert (seen["id"], seen["message"]["body"]) == (
                posted["event_id"],
                "През балансьора ✅",
            )


async def audit_addresses(database_url: str, action: str) -> list[str | None]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT address FROM audit_events WHERE action = :action ORDER BY id"),
                {"action": action},
            )
            return [row.address for row in rows]
    finally:
        await engine.dispose()


async def test_the_replica_sees_the_clients_address_not_one_the_client_wrote(
    postgres_url: str,
) -> None:
    async with balanced(postgres_url, 2) as (balancer, _):
        # a client on another loopback address, claiming to be someone else
        transport = httpx.AsyncHTTPTransport(local_address="127.0.0.5")
        async with httpx.AsyncClient(transport=transport, base_url=balancer.http) as http:
            refused = await http.post(
                "/api/v1/auth/login",
                json={"name": "никой", "password": "не"},
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
        assert refused.status_code == 401, refused.text
    assert await audit_addresses(postgres_url, "auth.login_failed") == ["127.0.0.5"]


async def test_a_replica_answering_503_is_skipped(postgres_url: str) -> None:
    async with (
        replicas(postgres_url, 1, env=replica_environment()) as (node,),
        NotReady().running() as sick,
    ):
        balancer = Balancer([sick.port, node.port])
        await balancer.start()
        try:
            async with httpx.AsyncClient(base_url=balancer.http, timeout=5) as http:
                answers = [(await http.get("/readyz")).json()["status"] for _ in range(6)]
                peer = await synced(f"{balancer.yjs}/draft")  # a socket too
                await peer.close()
        finally:
            await balancer.stop()
    assert answers == ["ready"] * 6
    assert sick.requests >= 1, "the not-ready replica was never tried"


async def test_a_killed_replicas_editors_come_back_through_the_balancer_and_converge(
    postgres_url: str,
) -> None:
    require_node()
    async with balanced(postgres_url, 2) as (balancer, (one, two)):
        first = await YjsNodeClient.start(balancer.yjs, "proposal")
        await first.wait_synced()
        second = await YjsNodeClient.start(balancer.yjs, "proposal")
        await second.wait_synced()
        try:
            assert [await connections(one), await connections(two)] == [1, 1]
            typing = [
                asyncio.create_task(first.request("type", text="а" * 60, delayMs=20, timeout=60)),
                asyncio.create_task(second.request("type", text="б" * 60, delayMs=20, timeout=60)),
            ]
            await asyncio.sleep(0.4)
            await one.kill()  # one of the two editors loses its replica mid-sentence
            async with httpx.AsyncClient() as http:  # the balancer skips the dead replica
                for _ in range(5):
                    assert (await http.get(f"{balancer.http}/readyz")).status_code == 200
            await asyncio.gather(*typing)
            texts = [
                (await client.request("waitText", length=120, timeoutMs=20_000))
                for client in (first, second)
            ]
            assert all(t.get("ok") for t in texts), texts
            assert texts[0]["text"] == texts[1]["text"]
            assert await connections(two) == 2  # both editors are on the surviving replica

            # what the dead replica accepted and relayed but never stored is stored by the
            # survivor once the dead one's heartbeat is gone (docs/scaling.md): the editor
            # that lost its replica does not send it again, the survivor holds it already
            async def all_stored() -> bool:
                stored = text_of(await stored_updates(postgres_url, "proposal"))
                return sorted(stored) == sorted("а" * 60 + "б" * 60)

            await eventually(all_stored, timeout=40)
        finally:
            await asyncio.gather(first.close(), second.close())
    final = text_of(await stored_updates(postgres_url, "proposal"))
    assert sorted(final) == sorted("а" * 60 + "б" * 60)
