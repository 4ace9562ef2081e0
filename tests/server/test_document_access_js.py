"""The stock npm `y-websocket` client with an observer's and a participant's token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.room_server import strict
from tests.support.rooms import People, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process
from tests.support.yjs_node import YjsNodeClient, require_node


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[RunningServer]:
    async with serve_in_process(strict(sqlite_url)) as running:
        yield running


@pytest.fixture
async def people(server: RunningServer) -> People:
    people = await make_people(services_of(server))
    await make_room(services_of(server), people, "room", visibility="private", documents=("d",))
    return people


async def test_an_observers_edits_go_nowhere_and_a_participants_reach_everyone(
    server: RunningServer, people: People
) -> None:
    require_node()
    observer = await YjsNodeClient.start(server.yjs, "d", people.token("observer"))
    participant = await YjsNodeClient.start(server.yjs, "d", people.token("participant"))
    try:
        await observer.wait_synced()
        await participant.wait_synced()
        await observer.request("type", text="Наблюдателят пише", at="end")
        for _ in range(100):  # the reply may trail the last keystroke a little
            status = await observer.request("status")
            if status["permissionDenied"] is not None:
                break
            await observer.request("waitText", contains=["\u0000"], timeoutMs=50)
        assert status["permissionDenied"] == "permission-denied"
        assert status["connected"]  # denied, not disconnected: it still reads

        await participant.request("type", text="Участникът пише", at="end")
        seen = await observer.request("waitText", contains=["Участникът пише"])
        assert "ok" in seen, seen
        assert "Наблюдател" not in (await participant.request("text"))["text"]
        assert not any(e.get("event") == "permission-denied" for e in participant.events)
    finally:
        await observer.close()
        await participant.close()
    # the database holds the participant's text and nothing of the observer's
    stored = await services_of(server).log.load("d")
    document = services_of(server).backend.new_document()
    for update in stored.updates:
        document.restore(update)
    assert document.render()["content"] == "Участникът пише"
