"""Issue 10 on `/yjs/{document}`: oversize frames, frames queued while loading, awareness."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool
from websockets.exceptions import ConnectionClosed

from crdt.awareness import (
    MAX_CLIENTS_PER_OWNER,
    AwarenessEntry,
    decode_awareness_update,
    encode_awareness_update,
)
from crdt.messages import (
    AwarenessMessage,
    QueryAwareness,
    SavedNotice,
    SubscribeSaved,
    SyncStep1,
    SyncUpdate,
    encode_message,
)
from server.closecodes import CloseCode
from server.document_socket import DocumentSocket
from server.settings import Settings
from tests.server.test_document_access import document_url
from tests.support.room_server import strict
from tests.support.rooms import make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process
from tests.support.waiting import eventually
from tests.support.wire import RawPeer
from tests.support.ydocs import Typist
from tests.support.yjs_node import YjsNodeClient, run_node_script

OVERSIZE = 20 * 1024 * 1024  # twenty times the default VECHE_MAX_FRAME_BYTES


async def test_stock_ws_client_reads_1009_for_every_oversize_frame(server: RunningServer) -> None:
    # Before the lingering close, the server closed the TCP connection right after its close
    # frame while the client was still sending: a reset, and the client saw 1006.
    result = await run_node_script("oversize.mjs", f"{server.yjs}/oversize", str(OVERSIZE), "4")
    assert result["codes"] == [CloseCode.MESSAGE_TOO_BIG] * 4


async def test_python_client_reads_1009_for_every_oversize_frame(server: RunningServer) -> None:
    codes = []
    for _ in range(4):
        peer = await RawPeer.open(f"{server.yjs}/oversize-py")
        # the close may arrive while the frame is still being written
        with contextlib.suppress(ConnectionClosed):
            await peer.send(b"\x00\x02" + b"\x01" * OVERSIZE)
        codes.append(await peer.closed_with(timeout=30))
    assert codes == [CloseCode.MESSAGE_TOO_BIG] * 4


LOAD_QUEUE_BYTES = 64 * 1024


@contextlib.asynccontextmanager
async def documents_locked(url: str) -> AsyncIterator[AsyncConnection]:
    """Hold PostgreSQL's strongest lock on `documents`: opening any document waits for it."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.exec_driver_sql("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            try:
                yield connection
            finally:
                if transaction.is_active:
                    await transaction.rollback()
    finally:
        await engine.dispose()


def document_sockets(server: RunningServer) -> list[DocumentSocket]:
    assert server.uvicorn is not None
    return [c for c in server.uvicorn.server_state.connections if isinstance(c, DocumentSocket)]


@pytest.mark.postgres
async def test_frames_sent_while_the_document_loads_are_bounded_and_all_applied(
    postgres_url: str,
) -> None:
    settings = Settings(
        database_url=postgres_url, open_documents=True, load_queue_bytes=LOAD_QUEUE_BYTES
    )
    typist = Typist()
    updates = [encode_message(SyncUpdate(typist.type("щ" * 8000))) for _ in range(256)]
    async with serve_in_process(settings) as server:
        async with documents_locked(postgres_url) as lock:
            peer = await RawPeer.open(f"{server.yjs}/slow-to-load")
            await peer.send(encode_message(SubscribeSaved()))

            async def send_all() -> None:
                for frame in updates:
                    await peer.send(frame)

            sender = asyncio.create_task(send_all())
            (socket,) = document_sockets(server)

            async def stopped_reading() -> bool:
                return socket.reading_paused

            # Before the bound, the whole 4 MiB sat in the socket's queue; now reading stops
            # near 64 KiB (at most one transport read and one frame past it).
            await eventually(stopped_reading)
            assert socket.queued_bytes < LOAD_QUEUE_BYTES + 512 * 1024
            await lock.rollback()  # the document loads now
        await asyncio.wait_for(sender, 30)
        # nothing held was dropped: every update was applied and stored
        saved = await peer.recv_until(
            lambda m: isinstance(m, SavedNotice) and m.acknowledged == len(updates), timeout=30
        )
        assert saved == SavedNotice(acknowledged=len(updates), seq=len(updates))
        await peer.close()


def awareness(*entries: AwarenessEntry) -> bytes:
    return encode_message(AwarenessMessage(encode_awareness_update(entries)))


def cursor(client_id: int, clock: int) -> AwarenessEntry:
    return AwarenessEntry(client_id, clock, json.dumps({"cursor": clock, "user": "Мария"}))


async def open_synced(url: str) -> RawPeer:
    peer = await RawPeer.open(url)
    assert isinstance(await peer.recv_message(), SyncStep1)
    return peer


async def awareness_states(peer: RawPeer) -> list[AwarenessEntry]:
    """The states the server holds for the document (its answer to query-awareness)."""
    await peer.send(encode_message(QueryAwareness()))
    answer = await peer.recv_until(lambda m: isinstance(m, AwarenessMessage))
    assert isinstance(answer, AwarenessMessage)
    return decode_awareness_update(answer.update)


async def test_a_connection_announcing_thousands_of_client_ids_gets_only_the_bound_relayed(
    server: RunningServer,
) -> None:
    name = "awareness-flood"
    observer = await open_synced(f"{server.yjs}/{name}")
    flooder = await open_synced(f"{server.yjs}/{name}")
    for first in range(1, 5001, 50):
        await flooder.send(awareness(*(cursor(i, 1) for i in range(first, first + 50))))
    # more entries in one message than MAX_ENTRIES_PER_MESSAGE: dropped before decoding
    await flooder.send(awareness(*(cursor(i, 1) for i in range(10_000, 12_000))))
    await flooder.send(awareness(cursor(1, 2)))  # the last: a renewal of an id it owns

    relayed: set[int] = set()
    while True:
        message = await observer.recv_until(lambda m: isinstance(m, AwarenessMessage))
        assert isinstance(message, AwarenessMessage)
        entries = decode_awareness_update(message.update)
        relayed |= {entry.client_id for entry in entries}
        if cursor(1, 2) in entries:
            break
    assert relayed == set(range(1, MAX_CLIENTS_PER_OWNER + 1))
    held = {entry.client_id for entry in await awareness_states(flooder)}
    assert held == set(range(1, MAX_CLIENTS_PER_OWNER + 1))
    shared = services_of(server).documents.get(name)
    assert shared is not None
    assert shared.awareness.owned_by_count() == MAX_CLIENTS_PER_OWNER
    await flooder.close()
    await observer.close()


async def test_awareness_is_relayed_at_the_rate_limit_and_ends_with_the_latest_state(
    server: RunningServer,
) -> None:
    name = "awareness-rate"
    observer = await open_synced(f"{server.yjs}/{name}")
    sender = await open_synced(f"{server.yjs}/{name}")
    loop = asyncio.get_running_loop()
    started = loop.time()
    last = 200
    for clock in range(1, last + 1):
        await sender.send(awareness(cursor(77, clock)))
    relays = 0
    while True:
        message = await observer.recv_until(lambda m: isinstance(m, AwarenessMessage), 10)
        assert isinstance(message, AwarenessMessage)
        relays += 1
        if cursor(77, last) in decode_awareness_update(message.update):
            break  # the latest state always arrives: the excess is coalesced, not lost
    elapsed = loop.time() - started
    settings = server.settings
    # a token bucket: the burst, the rate over the time it took, and one reserved ahead
    assert relays <= settings.awareness_burst + settings.awareness_rate * elapsed + 1
    assert relays < last
    await sender.close()
    await observer.close()


@pytest.mark.parametrize("caller", ["anonymous", "outsider"])
async def test_anonymous_readers_awareness_is_not_relayed_a_signed_in_readers_is(
    database_url: str, caller: str
) -> None:
    async with serve_in_process(strict(database_url)) as server:
        services = services_of(server)
        people = await make_people(services)
        await make_room(services, people, "open", visibility="public", documents=("d",))
        member = await open_synced(document_url(server, "d", people.token("participant")))
        reader = await open_synced(document_url(server, "d", people.token(caller)))
        await reader.send(awareness(cursor(501, 1)))
        states = await awareness_states(reader)  # answered after the awareness was handled
        await member.send(awareness(cursor(502, 1)))
        seen = await reader.recv_until(lambda m: isinstance(m, AwarenessMessage))
        assert isinstance(seen, AwarenessMessage)
        assert decode_awareness_update(seen.update) == [cursor(502, 1)]  # it still sees others
        if caller == "anonymous":
            assert states == []
        else:
            assert states == [cursor(501, 1)]
            relayed = await member.recv_until(lambda m: isinstance(m, AwarenessMessage))
            assert isinstance(relayed, AwarenessMessage)
            assert decode_awareness_update(relayed.update) == [cursor(501, 1)]
        await reader.close()
        await member.close()


async def test_stock_clients_still_see_each_others_latest_cursor(server: RunningServer) -> None:
    # Three stock providers: each echoes the states it receives back to the server, and one
    # moves its cursor faster than the awareness rate; the others end on its latest state.
    name = "cursors"
    clients = [await YjsNodeClient.start(server.yjs, name) for _ in range(3)]
    try:
        await asyncio.gather(*(client.wait_synced() for client in clients))
        mover, *watchers = clients
        ids = []
        for number, client in enumerate(clients):
            reply = await client.request("awareness", state={"user": f"Участник {number}"})
            ids.append(str(reply["clientId"]))
        for position in range(1, 41):
            await mover.request("awareness", state={"user": "Участник 0", "cursor": position})
        latest = {"user": "Участник 0", "cursor": 40}

        async def everyone_sees_the_latest() -> bool:
            for watcher in watchers:
                peers = (await watcher.request("peers"))["peers"]
                if len(peers) != 2 or peers.get(ids[0]) != latest:
                    return False
            return True

        await eventually(everyone_sees_the_latest, timeout=20)
    finally:
        for client in clients:
            await client.close()


async def test_awareness_over_its_bounds_is_dropped_and_malformed_awareness_closes(
    server: RunningServer,
) -> None:
    name = "awareness-bounds"
    peer = await open_synced(f"{server.yjs}/{name}")
    huge_state = AwarenessEntry(1, 1, json.dumps({"blob": "ж" * 5000}))  # 10 KiB of JSON
    await peer.send(awareness(huge_state))
    big_message = awareness(*(AwarenessEntry(i, 1, json.dumps("я" * 900)) for i in range(40)))
    assert len(big_message) > server.settings.max_awareness_bytes
    await peer.send(big_message)
    assert await awareness_states(peer) == []  # dropped, and the connection stays open
    await peer.send(encode_message(AwarenessMessage(b"\x01\x01\x01\x03{x}")))  # not JSON
    assert await peer.closed_with() == CloseCode.PROTOCOL_ERROR


def test_the_yjs_limits_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "VECHE_LOAD_QUEUE_BYTES": "65536",
            "VECHE_LOAD_QUEUE_FRAMES": "50",
            "VECHE_AWARENESS_RATE": "2.5",
            "VECHE_AWARENESS_BURST": "4",
            "VECHE_MAX_AWARENESS_BYTES": "4096",
        }
    )
    assert (settings.load_queue_bytes, settings.load_queue_frames) == (65536, 50)
    assert (settings.awareness_rate, settings.awareness_burst) == (2.5, 4)
    assert settings.max_awareness_bytes == 4096
