"""Replicas behind Debian's nginx running the repository's proxy configuration."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.nodes.balancer import Balancer
from tests.nodes.replicas import replicas, stored_updates, text_of
from tests.support.server import ServerProcess
from tests.support.yjs_node import YjsNodeClient, require_node

pytestmark = pytest.mark.postgres


@contextlib.asynccontextmanager
async def balanced(
    database_url: str, count: int
) -> AsyncIterator[tuple[Balancer, list[ServerProcess]]]:
    async with replicas(database_url, count) as nodes:
        balancer = Balancer([node.port for node in nodes])
        await balancer.start()
        try:
            yield balancer, nodes
        finally:
            await balancer.stop()


async def connections(node: ServerProcess) -> int:
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{node.http}/metrics")).text
    found = re.search(r"^veche_connections (\S+)$", metrics, re.MULTILINE)
    assert found is not None, metrics[:500]
    return int(float(found.group(1)))


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
        finally:
            await asyncio.gather(first.close(), second.close())
    final = text_of(await stored_updates(postgres_url, "proposal"))
    assert sorted(final) == sorted("а" * 60 + "б" * 60)
