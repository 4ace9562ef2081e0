"""`/yjs/{document}` sockets, driven straight from the event loop.

The Starlette application serves HTTP. WebSocket upgrades reach uvicorn's `ws` protocol slot,
which here is `VecheWebSocketProtocol`: `/yjs/` connections become a `DocumentSocket`, every
other path goes to uvicorn's own ASGI WebSocket protocol. A `DocumentSocket` parses frames
with the sans-I/O `websockets` protocol, hands each message to the document synchronously and
writes relayed frames straight to the transport. There is no task and no queue per connection:
the DESIGN's probe measured ~28 KiB and ~5 µs per delivered frame for the ASGI path against
~3 KiB and ~1.3 µs for raw transport writes, and fan-out is dominated by that per-frame cost.
Measured with bench/run (docs/benchmarks.md), moving /yjs/ off the ASGI path took fan-out to
1,000 observers from p99 3.4-4.1 s to ~31 ms, saturation from 50,000 to 600,000 deliveries/s,
and idle connections to 6.5 KiB each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit

from sqlalchemy.exc import SQLAlchemyError
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from crdt.errors import CostlyUpdate, ProtocolError, UnsupportedMessageError
from server.closecodes import CloseCode
from server.documents.admission import CLOSE_CODES, AdmissionRefused
from server.documents.awareness_gate import AwarenessGate, is_awareness
from server.documents.connection import DocumentConnection
from server.documents.costly import admit_costly
from server.documents.isolation import parse_here
from server.documents.names import readable_document_name
from server.documents.shared import SharedDocument, is_write, lifted_limit
from server.origins import origin_allowed, upgrade_token
from server.write_coalescer import WriteCoalescer as WriteCoalescer  # server/app.py imports it
from storage.errors import StorageError

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger(__name__)

DOCUMENT_PATH = "/yjs/"
# After a close frame, how long the peer has to read what is buffered before the TCP
# connection is aborted (a reader that stopped reading never would).
ABORT_AFTER = 10.0
# A lingering close (after the server's half-close) discards at most this much of what the
# peer still sends before the connection is aborted; ABORT_AFTER bounds its time.
LINGER_MAX_BYTES = 64 * 1024 * 1024
# Keepalive: ping a connection silent for this long; close it if the pong does not come.
PING_INTERVAL = 20.0
PING_TIMEOUT = 20.0


class DocumentSocket(asyncio.Protocol):
    """One WebSocket on `/yjs/{document}`; the document's `Channel` to that client."""

    # thousands of idle connections per node: no instance dictionary (docs/benchmarks.md)
    __slots__ = (
        "_abort_timer",
        "_awareness",
        "_closing",
        "_connection",
        "_discarded",
        "_fragments",
        "_last_heard",
        "_lingering",
        "_load_queue_limits",
        "_lost",
        "_out",
        "_out_bytes",
        "_paused_loading",
        "_pending",
        "_pending_bytes",
        "_ping_sent",
        "_quota_user",
        "_send_limit",
        "_server_state",
        "_services",
        "_shared",
        "_transport",
        "_ws",
    )

    def __init__(self, services: Services, server_state: Any) -> None:
        settings = services.settings
        self._services = services
        self._server_state = server_state
        self._ws = ServerProtocol(max_size=settings.max_frame_bytes)
        self._send_limit = settings.send_queue_bytes
        self._transport: asyncio.Transport | None = None
        self._shared: SharedDocument | None = None
        self._connection: DocumentConnection | None = None
        self._awareness: AwarenessGate | None = None  # made on the first awareness message
        self._pending: deque[bytes] | None = None  # frames held while loading or throttled
        self._pending_bytes = 0
        self._load_queue_limits = (settings.load_queue_bytes, settings.load_queue_frames)
        self._paused_loading = False  # not read until the document is loaded (queue full)
        self._fragments: list[bytes] | None = None
        self._out: list[bytes] = []  # frames of this loop turn, written together by flush()
        self._out_bytes = 0
        self._closing = False
        self._lingering = False
        self._discarded = 0  # bytes read and dropped during the lingering close
        self._lost = False
        self._abort_timer: asyncio.TimerHandle | None = None
        self._last_heard = time.monotonic()
        self._ping_sent: float | None = None
        self._quota_user: int | None = None  # the user whose connection quota this holds

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._server_state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            self._discard(len(data))
            return
        self._last_heard = time.monotonic()
        self._ws.receive_data(data)
        self._handle_events()

    def eof_received(self) -> bool | None:
        if not self._lingering:
            self._ws.receive_eof()
            self._handle_events()
        return None  # the peer is done too: the transport closes without a reset

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._abort_timer is not None:
            self._abort_timer.cancel()
        self._server_state.connections.discard(self)
        self._detach()

    def shutdown(self) -> None:
        """Called by uvicorn on a graceful shutdown."""
        if self._connection is not None:
            self._connection.close(CloseCode.GOING_AWAY, "server shutting down")
        else:
            self.close(CloseCode.GOING_AWAY, "server shutting down")

    # -- Channel -------------------------------------------------------------------------
    def send_wire(self, wire: bytes) -> bool:
        if self._closing or self._transport is None:
            return True
        if not self._out:
            self._services.coalescer.mark(self)
        self._out.append(wire)
        self._out_bytes += len(wire)
        return self._transport.get_write_buffer_size() + self._out_bytes <= self._send_limit

    def flush(self) -> None:
        """Write what this turn of the event loop queued, in one transport write."""
        out = self._out
        if not out:
            return
        self._out, self._out_bytes = [], 0
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(out[0] if len(out) == 1 else b"".join(out))

    def close(self, code: CloseCode, reason: str) -> None:
        if self._closing or self._lost:
            return
        if code is CloseCode.SLOW_READER:
            self._out, self._out_bytes = [], 0  # it cannot read what it has already
        self.flush()
        self._closing = True
        self._ws.send_close(code, reason[:120])
        self._write_output()
        if self._transport is not None:
            # Reading may be paused (write rate, load queue, a sandbox trial): the peer's close
            # frame must still be read, or the close would wait for ABORT_AFTER.
            self._transport.resume_reading()
        if self._transport is not None and self._abort_timer is None:
            loop = asyncio.get_running_loop()
            self._abort_timer = loop.call_later(ABORT_AFTER, self._transport.abort)
        self._detach()

    def keepalive(self, now: float) -> None:
        """Ping a quiet connection; close one whose ping went unanswered."""
        if self._closing:
            return
        if self._ping_sent is not None:
            if now - self._ping_sent > PING_TIMEOUT:
                self.close(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
        elif now - self._last_heard > PING_INTERVAL:
            self._ping_sent = now
            self._ws.send_ping(b"")
            self._write_output()

    # -- frames in -----------------------------------------------------------------------
    def _handle_events(self) -> None:
        while True:
            ws = self._ws
            for event in ws.events_received():
                if isinstance(event, Frame):
                    self._on_frame(event)
                elif isinstance(event, Request):
                    self._on_request(event)
            if self._ws is ws:  # else the handshake is done: read what followed it
                break
        self._write_output()

    def _on_request(self, request: Request) -> None:
        response = self._ws.accept(request)
        self._ws.send_response(response)
        self._write_output()
        if response.status_code != 101:
            return
        self._frames_only()
        target = urlsplit(request.path)
        name = unquote(target.path[len(DOCUMENT_PATH) :])
        if not readable_document_name(name):
            self.close(CloseCode.BAD_REQUEST, "invalid document name")
            return
        if not origin_allowed(
            request.headers.get("Origin"),
            request.headers.get("Host"),
            self._services.settings.allowed_origins,
        ):
            self.close(CloseCode.FORBIDDEN, "origin not allowed")
            return
        self._pending = deque()
        task = asyncio.get_running_loop().create_task(
            self._open(name, upgrade_token(target.query, request.headers))
        )
        self._server_state.tasks.add(task)  # owned by the server: awaited on shutdown
        task.add_done_callback(self._server_state.tasks.discard)

    def _frames_only(self) -> None:
        """Go on with a protocol that reads frames only. The one that read the handshake
        keeps the request and its headers alive in its parser for as long as the connection
        lives, about 2.5 KiB per idle connection. Nothing is lost by the change: uvicorn hands
        over exactly the request it parsed, and a client sends no frame before the server's
        answer (RFC 6455, 4.1), so the old protocol holds no unread byte."""
        self._ws = ServerProtocol(
            max_size=self._services.settings.max_frame_bytes, state=State.OPEN
        )

    async def _open(self, name: str, token: str | None) -> None:
        services = self._services
        try:
            access = await services.admission.admit(name, token)
        except AdmissionRefused as refused:
            self.close(CLOSE_CODES[refused.refusal], refused.reason)
            return
        except (StorageError, SQLAlchemyError, OSError):
            log.warning("cannot check access to document %r", name, exc_info=True)
            self.close(CloseCode.OVERLOADED, "storage unavailable, try again later")
            return
        if self._lost or self._closing:
            return
        if access.user_id is not None:
            if not services.quota.take(access.user_id):
                limit = services.settings.max_connections_per_user
                self.close(CloseCode.TOO_MANY_CONNECTIONS, f"more than {limit} connections")
                return
            self._quota_user = access.user_id
        documents = services.documents
        shared = documents.loaded(name)
        if shared is not None:
            connection = documents.attach(shared, access, self)
        else:
            try:
                shared, connection = await documents.connect(name, access, self)
            except (StorageError, SQLAlchemyError, OSError):
                log.warning("cannot load document %r", name, exc_info=True)
                self.close(CloseCode.OVERLOADED, "storage unavailable, try again later")
                return
        self._shared, self._connection = shared, connection
        if self._lost or self._closing:
            self._detach()
            return
        if self._paused_loading:
            self._paused_loading = False
            assert self._transport is not None
            self._transport.resume_reading()
        self._release_pending(reserved=False)
        self._write_output()

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.BINARY:
            if frame.fin:
                self._deliver(bytes(frame.data))
            else:
                self._fragments = [bytes(frame.data)]
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                message, self._fragments = b"".join(self._fragments), None
                self._deliver(message)
        elif opcode is Opcode.TEXT:
            self.close(CloseCode.UNSUPPORTED_DATA, "text frames are not supported")
        elif opcode is Opcode.PONG:
            self._ping_sent = None
        elif opcode is Opcode.CLOSE:
            self._closing = True
            self._detach()

    def _deliver(self, message: bytes) -> None:
        if self._closing:
            return
        if self._pending is not None:
            self._pending.append(message)
            self._pending_bytes += len(message)
            if self._connection is None and not self._paused_loading:
                self._bound_load_queue()
            return
        self._receive(message, reserved=False)

    def _bound_load_queue(self) -> None:
        """While the document loads, stop reading once the held frames reach their bound.

        TCP backpressure rather than dropping: every frame held was accepted, and is handed to
        the document once it is loaded. The frames of the read that crossed the bound are kept
        (at most one read of the transport, plus one frame, beyond the bound).
        """
        assert self._pending is not None
        max_bytes, max_frames = self._load_queue_limits
        if self._pending_bytes >= max_bytes or len(self._pending) >= max_frames:
            self._paused_loading = True
            assert self._transport is not None
            self._transport.pause_reading()

    @property
    def queued_bytes(self) -> int:
        """Bytes of the frames held (while the document loads, or over the write rate)."""
        return self._pending_bytes if self._pending is not None else 0

    @property
    def reading_paused(self) -> bool:
        """Whether the socket is not read until its document is loaded (the queue is full)."""
        return self._paused_loading

    def _receive(self, message: bytes, *, reserved: bool) -> bool:
        """Hand one message to the document; False when the rate limit holds it back."""
        connection, shared = self._connection, self._shared
        assert connection is not None
        assert shared is not None
        if not reserved and is_write(message):
            delay = connection.bucket.delay()
            if delay > 0:
                self._hold(message, delay)
                return False
        if (
            len(message) > (limits := self._services.documents.loader.limits).inline_bytes
            and is_write(message)
            and connection.access.can_write
            and not parse_here(message, limits)
        ):
            self._try_costly(message)
            return False
        try:
            if is_awareness(message):
                if self._awareness is None:
                    self._awareness = AwarenessGate(self._services.settings)
                self._awareness.offer(message, connection, shared)
            else:
                shared.receive(connection, message)
        except CostlyUpdate:
            self._try_costly(message)
            return False
        except UnsupportedMessageError as exc:
            connection.close(CloseCode.UNSUPPORTED_DATA, str(exc))
        except ProtocolError as exc:
            connection.close(CloseCode.PROTOCOL_ERROR, str(exc))
        return True

    def _try_costly(self, message: bytes) -> None:
        """An update over the inline step limit: stop reading this socket and try it in the
        sandbox first (server/documents/isolation.py); the rest waits behind it, in order."""
        self._services.metrics.updates_to_sandbox.inc()
        self._pending = deque([message])
        assert self._transport is not None
        self._transport.pause_reading()
        task = asyncio.get_running_loop().create_task(self._admit_costly(message))
        self._server_state.tasks.add(task)
        task.add_done_callback(self._server_state.tasks.discard)

    async def _admit_costly(self, message: bytes) -> None:
        connection, shared = self._connection, self._shared
        assert connection is not None
        assert shared is not None
        services = self._services
        validated = await admit_costly(
            services.documents, services.metrics, shared, connection, message
        )
        if validated is None:
            return
        if self._lost or self._closing or self._connection is not connection:
            return
        pending, self._pending = self._pending, None
        assert pending is not None
        pending.popleft()
        try:
            with lifted_limit(shared.document, validated):
                shared.receive(connection, message)
        except ProtocolError as exc:
            connection.close(CloseCode.PROTOCOL_ERROR, str(exc))
            return
        self._pending = pending
        assert self._transport is not None
        self._transport.resume_reading()
        self._release_pending(reserved=False)
        self._write_output()

    def _hold(self, message: bytes, delay: float) -> None:
        """Over the write rate: stop reading this socket until the bucket refills."""
        self._services.metrics.updates_throttled.inc()
        self._pending = deque([message])
        self._pending_bytes = len(message)
        assert self._transport is not None
        self._transport.pause_reading()
        asyncio.get_running_loop().call_later(delay, self._resume)

    def _resume(self) -> None:
        if self._lost or self._closing:
            return
        assert self._transport is not None
        self._transport.resume_reading()
        self._release_pending(reserved=True)
        self._write_output()

    def _release_pending(self, *, reserved: bool) -> None:
        pending, self._pending = self._pending, None
        self._pending_bytes = 0
        while pending and not self._closing:
            message = pending.popleft()
            if not self._receive(message, reserved=reserved):
                assert self._pending is not None
                self._pending.extend(pending)  # held again: keep the order
                self._pending_bytes = sum(len(m) for m in self._pending)
                return
            reserved = False

    # -- frames out ----------------------------------------------------------------------
    def _write_output(self) -> None:
        transport = self._transport
        if transport is None:
            return
        for chunk in self._ws.data_to_send():
            if chunk:
                transport.write(chunk)
            else:  # the protocol is done: the server closes the TCP connection
                self._linger(transport)

    def _linger(self, transport: asyncio.Transport) -> None:
        """Close the TCP connection without a reset: half-close, then read and discard.

        Closing a socket with unread bytes in its receive buffer makes the kernel send RST, and
        a peer still sending (say, the rest of an oversize frame) then loses the close frame
        it had not read yet: the stock `ws` client reported 1006 instead of 1009. So after the
        close frame the server sends FIN and keeps reading, dropping everything, until the
        peer's FIN, ABORT_AFTER seconds or LINGER_MAX_BYTES, whichever comes first.
        """
        if self._lingering:
            return
        self._lingering = True
        self._closing = True
        self._pending = None
        self._detach()
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        transport.resume_reading()  # it may be paused by the write rate or the load queue
        if self._abort_timer is None:
            loop = asyncio.get_running_loop()
            self._abort_timer = loop.call_later(ABORT_AFTER, transport.abort)

    def _discard(self, size: int) -> None:
        self._discarded += size
        if self._discarded > LINGER_MAX_BYTES and self._transport is not None:
            self._transport.abort()

    def _detach(self) -> None:
        if self._awareness is not None:
            self._awareness.stop()
        if self._quota_user is not None:
            self._services.quota.give_back(self._quota_user)
            self._quota_user = None
        connection, shared = self._connection, self._shared
        if connection is None or shared is None:
            return
        self._connection = None
        self._services.documents.disconnect(shared, connection)
        code = connection.close_code
        if code is not None and code is not CloseCode.NORMAL:
            self._services.metrics.connections_closed.labels(code.name.lower()).inc()
