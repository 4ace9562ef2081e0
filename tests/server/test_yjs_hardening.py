"""Issue 10 on `/yjs/{document}`: oversize frames, frames queued while loading, awareness."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool
from websockets.exceptions import ConnectionClosed

from crdt.messages import SavedNotice, SubscribeSaved, SyncUpdate, encode_message
from server.closecodes import CloseCode
from server.document_socket import DocumentSocket
from server.settings import Settings
from tests.support.server import RunningServer, serve_in_process
from tests.support.waiting import eventually
from tests.support.wire import RawPeer
from tests.support.ydocs import Typist
from tests.support.yjs_node import run_node_script

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

            async def stopped_or_sent() -> bool:
                return socket.reading_paused or sender.done()

            await eventually(stopped_or_sent)
            # Before the bound, the whole 4 MiB sat in the socket's queue; now reading stopped
            # near 64 KiB (at most one transport read and one frame past it).
            assert socket.reading_paused
            assert socket.queued_bytes < LOAD_QUEUE_BYTES + 512 * 1024
            assert not sender.done()
            await lock.rollback()  # the document loads now
        await asyncio.wait_for(sender, 30)
        # nothing held was dropped: every update was applied and stored
        saved = await peer.recv_until(
            lambda m: isinstance(m, SavedNotice) and m.acknowledged == len(updates), timeout=30
        )
        assert saved == SavedNotice(acknowledged=len(updates), seq=len(updates))
        await peer.close()
