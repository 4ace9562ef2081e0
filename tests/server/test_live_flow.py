"""Flow on live sockets (server/live/wire.py): a reader that stops reading is closed with
4508 once what waits for it passes `VECHE_SEND_QUEUE_BYTES`, without holding up the others;
commands sent faster than they are handled wait their turn, none is lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from client import LiveClient
from server.closecodes import CloseCode
from server.live.wire import LiveSocket
from tests.support.room_server import strict
from tests.support.rooms import People, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process

BODY = "ж" * 9_000  # ~18 KB of UTF-8 per message


def stalled_closing(server: RunningServer) -> bool:
    """Whether the server is closing a live socket (only the stalled reader's can be)."""
    assert server.uvicorn is not None
    sockets = server.uvicorn.server_state.connections
    return any(isinstance(s, LiveSocket) and s._closing for s in sockets)


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    settings = strict(
        database_url, send_queue_bytes=64 * 1024, live_write_rate=10_000.0, live_write_burst=10_000
    )
    async with serve_in_process(settings) as running:
        yield running


@pytest.fixture
async def people(server: RunningServer) -> People:
    people = await make_people(services_of(server))
    await make_room(services_of(server), people, "room", visibility="private")
    return people


async def test_a_reader_that_stops_reading_is_closed_and_the_others_get_everything(
    server: RunningServer, people: People
) -> None:
    url = f"{server.live}/room?{urlencode({'token': people.token('observer')})}"
    # the client library stops reading its socket once two frames wait in it
    async with (
        connect(url, max_queue=2) as stalled,
        LiveClient(server.live, "room", token=people.token("owner")) as owner,
        LiveClient(server.live, "room", token=people.token("participant")) as reader,
    ):
        # until the server has given up on the stalled reader (beyond what the kernel's
        # buffers hold and the server's bound of 64 KiB), then read at once: the server
        # aborts a connection that has not read its close frame within 10 s
        posted = 0
        while posted < 1_500 and not stalled_closing(server):  # bounded: ~27 MB at most
            await owner.send("post", body=BODY)
            posted += 1
        assert stalled_closing(server)
        closed = None
        # the stalled reader was cut loose, with the code that says "resume"
        try:
            async with asyncio.timeout(30):  # a reader never closed would read for ever
                while True:
                    await stalled.recv()
        except ConnectionClosed as done:
            closed = done.rcvd.code if done.rcvd is not None else None
        assert closed == CloseCode.SLOW_READER
        # the reading member got every message, in order
        seen = 0
        while seen < posted:
            event = await reader.next_event(lambda e: e.get("type") == "message.posted")
            assert event["message"]["body"] == BODY
            seen += 1
        assert seen == posted


async def test_commands_sent_at_once_are_answered_in_order(
    server: RunningServer, people: People
) -> None:
    url = f"{server.live}/room?{urlencode({'token': people.token('owner')})}"
    async with connect(url) as owner:
        welcome = json.loads(await owner.recv())
        assert welcome["type"] == "welcome"
        count = 100  # more than the inbox holds before the socket stops reading
        for n in range(count):
            await owner.send(json.dumps({"type": "post", "ref": f"r{n}", "body": f"№{n}"}))
        acks: list[str] = []
        while len(acks) < count:
            message = json.loads(await owner.recv())
            if message["type"] == "ack":
                acks.append(message["ref"])
        assert acks == [f"r{n}" for n in range(count)]
