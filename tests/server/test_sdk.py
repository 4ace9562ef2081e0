"""The Python SDK against a real server: remote changes, saved, structured content."""

from __future__ import annotations

import httpx
from pycrdt import Array, Map, Text

from client import DocumentClient
from tests.support.server import RunningServer


async def test_remote_changes_are_observed_and_rendered_over_http(
    server: RunningServer,
) -> None:
    async with (
        DocumentClient(server.yjs, "structured") as author,
        DocumentClient(server.yjs, "structured") as reader,
    ):
        received: list[bytes] = []
        reader.on_remote_update(received.append)
        author.doc.get("content", type=Text).insert(0, "Точка 1")
        meta = author.doc.get("meta", type=Map)
        meta["status"] = "чернова"
        meta["votes"] = {"за": 3, "против": 1}
        author.doc.get("items", type=Array).extend(["първо", 2, True])
        await author.wait_saved()
        await reader.wait_until(lambda: len(reader.doc.get("items", type=Array)) == 3)
        assert received  # the listener saw the updates as they arrived
        assert str(reader.doc.get("content", type=Text)) == "Точка 1"
        assert reader.doc.get("meta", type=Map)["status"] == "чернова"

    async with httpx.AsyncClient() as http:
        body = (await http.get(f"{server.http}/api/v1/documents/structured")).json()
    assert body["content"] == {
        "content": "Точка 1",
        "items": ["първо", 2, True],
        "meta": {"status": "чернова", "votes": {"за": 3, "против": 1}},
    }
