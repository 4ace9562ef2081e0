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
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.exc import SQLAlchemyError
from websockets.http11 import Request

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
from server.raw_socket import RawWebSocket
from server.write_coalescer import WriteCoalescer as WriteCoalescer  # server/app.py imports it
from storage.errors import StorageError

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger(__name__)

DOCUMENT_PATH = "/yjs/"


class DocumentSocket(RawWebSocket):
    """One WebSocket on `/yjs/{document}`; the document's `Channel` to that client."""

    # thousands of idle connections per node: no instance dictionary (docs/benchmarks.md)
    __slots__ = (
        "_awareness",
        "_connection",
        "_load_queue_limits",
        "_paused_loading",
        "_pending",
        "_pending_bytes",
        "_quota_user",
        "_shared",
    )

    def __init__(self, services: Services, server_state: Any) -> None:
        super().__init__(services, server_state)
        settings = services.settings
        self._shared: SharedDocument | None = None
        self._connection: DocumentConnection | None = None
        self._awareness: AwarenessGate | None = None  # made on the first awareness message
        self._pending: deque[bytes] | None = None  # frames held while loading or throttled
        self._pending_bytes = 0
        self._load_queue_limits = (settings.load_queue_bytes, settings.load_queue_frames)
        self._paused_loading = False  # not read until the document is loaded (queue full)
        self._quota_user: int | None = None  # the user whose connection quota this holds

    # -- the frame layer's hooks ------------------------------------------------------
    def shutdown(self) -> None:
        """Called by uvicorn on a graceful shutdown."""
        if self._connection is not None:
            self._connection.close(CloseCode.GOING_AWAY, "server shutting down")
        else:
            self.close(CloseCode.GOING_AWAY, "server shutting down")

    # -- Channel: send_wire, flush, close and keepalive are the frame layer's (raw_socket)

    # -- frames in -----------------------------------------------------------------------
    def _opened(self, request: Request) -> None:
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

    def _message(self, payload: bytes, text: bool) -> None:
        if text:
            self.close(CloseCode.UNSUPPORTED_DATA, "text frames are not supported")
        else:
            self._deliver(payload)

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

    def _detach(self) -> None:
        self._pending = None
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
