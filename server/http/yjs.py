"""`/yjs/{document}`: the y-websocket endpoint (DESIGN §2.3, docs/protocol.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from crdt.errors import ProtocolError, UnsupportedMessageError
from server.closecodes import CloseCode
from server.documents.connection import Access, DocumentConnection
from server.documents.names import valid_document_name
from server.documents.shared import is_write
from storage.errors import StorageError

if TYPE_CHECKING:
    from server.app import Services

log = logging.getLogger(__name__)


class _AsgiSink:
    """Writes frames straight to the ASGI `send` of one WebSocket."""

    __slots__ = ("_websocket",)

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def send(self, frame: bytes) -> None:
        await self._websocket.send({"type": "websocket.send", "bytes": frame})

    async def close(self, code: int, reason: str) -> None:
        # The peer may be gone already; then there is nobody left to tell.
        with contextlib.suppress(OSError, RuntimeError, WebSocketDisconnect):
            await self._websocket.send({"type": "websocket.close", "code": code, "reason": reason})


async def _pump(connection: DocumentConnection, sink: _AsgiSink) -> None:
    try:
        await connection.outbox.run(sink)
    except (OSError, WebSocketDisconnect):
        pass  # the peer went away; the reader sees the disconnect and cleans up
    finally:
        if connection.writer is not None and connection.writer.cancelling():
            # Cancelled for an urgent close (slow reader, bad input): say why, without waiting
            # for the socket to drain (see server/transport.py).
            code = connection.close_code or CloseCode.GOING_AWAY
            await sink.close(int(code), connection.close_reason)


async def document_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    name = websocket.path_params["document"]
    await websocket.accept()
    if not valid_document_name(name):
        await websocket.close(CloseCode.BAD_REQUEST, "invalid document name")
        return
    access = Access(author=None, can_write=True)
    try:
        shared, connection = await services.documents.connect(name, access)
    except StorageError:
        log.exception("cannot load document %r", name)
        await websocket.close(CloseCode.OVERLOADED, "storage unavailable, try again later")
        return
    sink = _AsgiSink(websocket)
    connection.writer = asyncio.create_task(_pump(connection, sink))
    try:
        while connection.close_code is None:
            message: Any = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            frame = message.get("bytes")
            if frame is None:
                connection.close(CloseCode.UNSUPPORTED_DATA, "text frames are not supported")
                break
            if is_write(frame):
                delay = connection.bucket.delay()
                if delay > 0:
                    services.metrics.updates_throttled.inc()
                    await asyncio.sleep(delay)  # backpressure: stop reading this socket
            try:
                shared.receive(connection, frame)
            except UnsupportedMessageError as exc:
                connection.close(CloseCode.UNSUPPORTED_DATA, str(exc)[:120])
            except ProtocolError as exc:
                connection.close(CloseCode.PROTOCOL_ERROR, str(exc)[:120])
    finally:
        services.documents.disconnect(shared, connection)
        if connection.close_code is None:
            connection.close(CloseCode.NORMAL, "")
        elif connection.close_code is not CloseCode.NORMAL:
            services.metrics.connections_closed.labels(connection.close_code.name.lower()).inc()
        await asyncio.wait({connection.writer})
