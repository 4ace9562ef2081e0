"""The document registry's lifecycle, driven directly (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from crdt.messages import SyncUpdate, encode_message
from server.closecodes import CloseCode
from server.documents.connection import Access
from server.services import Services
from server.settings import Settings
from tests.support.ydocs import Typist


class RecordingChannel:
    """A connection's transport end that keeps what the document sent it and, like a socket,
    detaches the connection from its document when closed."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed: tuple[CloseCode, str] | None = None
        self.on_close: Callable[[], None] = lambda: None

    def send_wire(self, wire: bytes) -> bool:
        self.frames.append(wire)
        return True

    def close(self, code: CloseCode, reason: str) -> None:
        self.closed = (code, reason)
        self.on_close()

    def keepalive(self, now: float) -> None:
        pass


async def test_stop_closes_open_connections_and_checkpoints_without_waiting_for_grace(
    sqlite_url: str,
) -> None:
    services = await Services.start(Settings(database_url=sqlite_url, unload_grace=3600))
    channel = RecordingChannel()
    shared, connection = await services.documents.connect("open-at-stop", Access(None), channel)
    channel.on_close = lambda: services.documents.disconnect(shared, connection)
    shared.receive(connection, encode_message(SyncUpdate(Typist().type("незапазено"))))

    async with asyncio.timeout(10):  # not the hour of grace
        await services.stop()

    assert channel.closed == (CloseCode.GOING_AWAY, "server shutting down")
    check = await Services.start(Settings(database_url=sqlite_url))
    try:
        stored = await check.log.find_document("open-at-stop")
        assert stored is not None
        assert await check.log.list_checkpoints(stored.id) == [1]
        state = await check.log.load("open-at-stop")
        document = check.backend.new_document()
        assert state.checkpoint is not None
        document.restore(state.checkpoint)
        assert document.render() == {"content": "незапазено"}
    finally:
        await check.stop()
