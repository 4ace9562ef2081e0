"""Edits survive a clean restart and a crash (kill -9), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
from pycrdt import Text

from client import DocumentClient
from server.settings import Settings
from tests.support.server import ServerProcess, serve_in_process
from tests.support.waiting import eventually


async def test_persistence_across_a_clean_restart(database_url: str) -> None:
    settings = Settings(database_url=database_url, unload_grace=60, open_documents=True)
    async with (
        serve_in_process(settings) as server,
        DocumentClient(server.yjs, "restart") as client,
    ):
        text = client.doc.get("content", type=Text)
        text += "Проект за решение ✍️"
        client.doc.get("meta", type=Text).insert(0, "v1")
        await client.wait_saved()
        # the document is still loaded (long grace): shutdown must checkpoint it
    async with serve_in_process(settings) as server:
        async with DocumentClient(server.yjs, "restart") as client:
            assert str(client.doc.get("content", type=Text)) == "Проект за решение ✍️"
        log = server.app.state.services.log  # type: ignore[attr-defined]
        stored = await log.find_document("restart")
        assert await log.list_checkpoints(stored.id) == [2]


async def server_text(http: str, name: str) -> str:
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"{http}/api/v1/documents/{name}")).json()
    text: str = body["content"].get("content", "")
    return text


async def has_text(http: str, name: str, expected: str) -> bool:
    return await server_text(http, name) == expected


async def test_crash_keeps_every_saved_update_and_the_client_restores_the_rest(
    database_url: str,
) -> None:
    process = ServerProcess(database_url, env={"VECHE_OPEN_DOCUMENTS": "true"})
    await process.start()
    typed = "Общинският съвет реши 🗳️ " * 8
    try:
        client = DocumentClient(process.yjs, "crash")
        await client.connect()
        text = client.doc.get("content", type=Text)
        typing_done = asyncio.Event()

        async def type_slowly() -> None:
            for char in typed:
                text.insert(len(text), char)
                await asyncio.sleep(0.002)
            typing_done.set()

        typing = asyncio.create_task(type_slowly())
        await client.wait_until(lambda: client.acknowledged >= 40)
        await process.kill()  # while the client is still typing
        saved_chars = client.acknowledged - 1  # the first write is the opening sync step 2
        assert not typing_done.is_set()

        await process.start()
        after_crash = await server_text(process.http, "crash")
        assert after_crash.startswith(typed[:saved_chars])  # nothing acknowledged was lost

        await typing
        # the client reconnects, resyncs and sends the rest
        await eventually(lambda: has_text(process.http, "crash", typed), timeout=20)
        await client.wait_saved()
        assert str(text) == typed
        await client.close()
    finally:
        await process.stop()
