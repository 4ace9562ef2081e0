"""Real Yjs clients (npm yjs + y-websocket's WebsocketProvider) against Veche."""

from __future__ import annotations

import asyncio
import random

import httpx
from pycrdt import Text

from client import DocumentClient, byte_offset
from tests.support.server import RunningServer
from tests.support.yjs_node import YjsNodeClient, require_node

JS_ONE = "Проект за решение 🎉"
JS_TWO = "Общинският съвет 🏛️ прие"
PYTHON = "Решение №1 ✅ — да"


async def type_python(client: DocumentClient, chunk: str) -> None:
    text = client.doc.get("content", type=Text)
    rng = random.Random(7)
    for char in chunk:
        current = str(text)  # pycrdt indexes text by UTF-8 bytes
        text.insert(byte_offset(current, rng.randint(0, len(current))), char)
        await asyncio.sleep(0.002)


async def test_two_js_clients_and_the_python_sdk_converge(server: RunningServer) -> None:
    require_node()
    name = "interop"
    one = await YjsNodeClient.start(server.yjs, name)
    two = await YjsNodeClient.start(server.yjs, name)
    late: YjsNodeClient | None = None
    try:
        await asyncio.gather(one.wait_synced(), two.wait_synced())
        async with DocumentClient(server.yjs, name) as python:
            await asyncio.gather(
                one.request("type", text=JS_ONE),
                two.request("type", text=JS_TWO),
                type_python(python, PYTHON),
            )
            expected_length = len((JS_ONE + JS_TWO + PYTHON).encode("utf-16-le")) // 2
            finals = await asyncio.gather(
                one.request("waitText", length=expected_length),
                two.request("waitText", length=expected_length),
            )
            assert all("ok" in f for f in finals), finals
            content = python.doc.get("content", type=Text)
            await python.wait_until(
                lambda: len(str(content).encode("utf-16-le")) // 2 == expected_length
            )
            await python.wait_saved()
            final = str(python.doc.get("content", type=Text))
            assert finals[0]["text"] == finals[1]["text"] == final
            assert sorted(final) == sorted(JS_ONE + JS_TWO + PYTHON)

        late = await YjsNodeClient.start(server.yjs, name)
        await late.wait_synced()
        assert (await late.request("text"))["text"] == final
        async with httpx.AsyncClient() as http:
            stored = (await http.get(f"{server.http}/api/v1/documents/{name}")).json()
        assert stored["content"]["content"] == final
    finally:
        for client in (one, two, late):
            if client is not None:
                await client.close()


async def test_awareness_reaches_others_and_disappears_when_the_client_goes(
    server: RunningServer,
) -> None:
    require_node()
    name = "awareness"
    one = await YjsNodeClient.start(server.yjs, name)
    two = await YjsNodeClient.start(server.yjs, name)
    try:
        await asyncio.gather(one.wait_synced(), two.wait_synced())
        async with DocumentClient(server.yjs, name) as python:
            state = {"user": {"name": "Ана Иванова", "color": "#c0392b"}}
            set_reply = await one.request("awareness", state=state)
            seen = await two.request("waitPeers", count=1)
            assert "ok" in seen, seen
            assert seen["peers"] == {str(set_reply["clientId"]): state}
            await python.wait_until(lambda: python.peers.get(set_reply["clientId"]) == state)

            one.kill()  # no goodbye from the client: the server must announce the removal
            gone = await two.request("waitPeers", count=0)
            assert "ok" in gone, gone
            await python.wait_until(lambda: set_reply["clientId"] not in python.peers)
    finally:
        await one.close()
        await two.close()
