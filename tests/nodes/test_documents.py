"""Stock Yjs clients (npm yjs + y-websocket) on different replicas edit one document."""

from __future__ import annotations

import asyncio

import pytest

from tests.nodes.replicas import replicas, stored_updates
from tests.support.yjs_node import YjsNodeClient, require_node

pytestmark = pytest.mark.postgres

TEXTS = ["Проект за решение 🎉 ", "Общинският съвет 🏛️ ", "Пловдив и Смолян ✅ "]


def js_length(text: str) -> int:
    """The length JavaScript gives a string: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


async def text_of_length(client: YjsNodeClient, length: int) -> str:
    reply = await client.request("waitText", length=length, timeoutMs=15_000)
    assert reply.get("ok"), reply
    return str(reply["text"])


async def test_clients_on_three_replicas_converge_and_a_late_joiner_gets_everything(
    postgres_url: str,
) -> None:
    require_node()
    async with replicas(postgres_url, 3) as nodes:
        clients = [await YjsNodeClient.start(nodes[i].yjs, "proposal") for i in range(2)]
        try:
            for client in clients:
                await client.wait_synced()
            await asyncio.gather(
                *(
                    c.request("type", text=t, delayMs=3)
                    for c, t in zip(clients, TEXTS[:2], strict=True)
                )
            )
            length = js_length(TEXTS[0] + TEXTS[1])
            texts = [await text_of_length(c, length) for c in clients]
            assert texts[0] == texts[1], texts
            late = await YjsNodeClient.start(nodes[2].yjs, "proposal")
            clients.append(late)
            await late.wait_synced()
            assert await text_of_length(late, length) == texts[0]
            await late.request("type", text=TEXTS[2], at="end", delayMs=3)
            everything = length + js_length(TEXTS[2])
            finals = [await text_of_length(c, everything) for c in clients]
            assert len(set(finals)) == 1, finals
            assert finals[0].endswith(TEXTS[2])
        finally:
            await asyncio.gather(*(c.close() for c in clients))
    stored = await stored_updates(postgres_url, "proposal")
    assert len(stored) == len(set(stored)), "an update was stored twice"


async def test_awareness_crosses_replicas_and_goes_with_its_client(postgres_url: str) -> None:
    require_node()
    async with replicas(postgres_url, 2) as nodes:
        one = await YjsNodeClient.start(nodes[0].yjs, "cursors")
        two = await YjsNodeClient.start(nodes[1].yjs, "cursors")
        try:
            await one.wait_synced()
            await two.wait_synced()
            state = {"user": {"name": "Ана Петрова", "color": "#c33"}}
            sent = await one.request("awareness", state=state)
            seen = await two.request("waitPeers", count=1, timeoutMs=10_000)
            assert seen.get("ok"), seen
            assert seen["peers"][str(sent["clientId"])] == state
            await one.close()
            gone = await two.request("waitPeers", count=0, timeoutMs=10_000)
            assert gone.get("ok"), gone
        finally:
            await asyncio.gather(one.close(), two.close())
