"""A WebSocket driven straight from the event loop: what `/yjs/` and `/live/` sockets share.

uvicorn hands an upgraded connection to `server/ws_routing.py`, which makes one of these.
Frames are parsed by the sans-I/O `websockets` protocol; what a subclass sends goes to the
transport once per event-loop turn (`WriteCoalescer`), with no task and no queue per
connection, and a reader that falls behind is judged by the transport's buffer. The DESIGN's
probe measured ~28 KiB and ~5 µs per delivered frame for the ASGI path against ~3 KiB and
~1.3 µs for raw transport writes (docs/benchmarks.md).

A subclass says what to do with the opening request (`_opened`), with each whole message
(`_message`), and when the connection ends (`_detach`).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, cast

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from server.closecodes import CloseCode

if TYPE_CHECKING:
    from server.services import Services

# After a close frame, how long the peer has to read what is buffered before the TCP
# connection is aborted (a reader that stopped reading never would).
ABORT_AFTER = 10.0
# A lingering close (after the server's half-close) discards at most this much of what the
# peer still sends before the connection is aborted; ABORT_AFTER bounds its time.
LINGER_MAX_BYTES = 64 * 1024 * 1024
# Keepalive: ping a connection silent for this long; close it if the pong does not come.
PING_INTERVAL = 20.0
PING_TIMEOUT = 20.0


class RawWebSocket(asyncio.Protocol):
    """The frame layer of one upgraded connection (an asyncio protocol)."""

    # thousands of idle connections per node: no instance dictionary (docs/benchmarks.md)
    __slots__ = (
        "_abort_timer",
        "_closing",
        "_discarded",
        "_fragments",
        "_fragments_text",
        "_last_heard",
        "_lingering",
        "_lost",
        "_out",
        "_out_bytes",
        "_ping_sent",
        "_send_limit",
        "_server_state",
        "_services",
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
        self._fragments: list[bytes] | None = None  # a message in several frames
        self._fragments_text = False
        self._out: list[bytes] = []  # frames of this loop turn, written together by flush()
        self._out_bytes = 0
        self._closing = False
        self._lingering = False
        self._discarded = 0  # bytes read and dropped during the lingering close
        self._lost = False
        self._abort_timer: asyncio.TimerHandle | None = None
        self._last_heard = time.monotonic()
        self._ping_sent: float | None = None

    # -- what a subclass does -------------------------------------------------------------
    def _opened(self, request: Request) -> None:
        """The handshake succeeded (101 sent): ``request`` is the upgrade request."""
        raise NotImplementedError

    def _message(self, payload: bytes, text: bool) -> None:
        """One whole message (fragments joined); ``text`` for a text frame."""
        raise NotImplementedError

    def _detach(self) -> None:
        """The connection is closing or gone: let go of what it holds (called more than
        once)."""

    def shutdown(self) -> None:
        """Called by uvicorn on a graceful shutdown."""
        self.close(CloseCode.GOING_AWAY, "server shutting down")

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

    def pause_writing(self) -> None:
        pass  # a slow reader is judged by the transport's buffer (send_wire)

    def resume_writing(self) -> None:
        pass

    # -- frames out ----------------------------------------------------------------------
    def send_wire(self, wire: bytes) -> bool:
        """Queue an encoded frame for the end of this turn; False when the reader is too
        far behind (the caller closes it)."""
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
        self._opened(request)

    def _frames_only(self) -> None:
        """Go on with a protocol that reads frames only. The one that read the handshake
        keeps the request and its headers alive in its parser for as long as the connection
        lives, about 2.5 KiB per idle connection. Nothing is lost by the change: uvicorn hands
        over exactly the request it parsed, and a client sends no frame before the server's
        answer (RFC 6455, 4.1), so the old protocol holds no unread byte."""
        # the handshake's parser (a generator) holds its protocol: closed, both go at once
        # instead of waiting in a cycle for the collector
        self._ws.parser.close()
        self._ws = ServerProtocol(
            max_size=self._services.settings.max_frame_bytes, state=State.OPEN
        )

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode in (Opcode.BINARY, Opcode.TEXT):
            if frame.fin:
                self._message(bytes(frame.data), opcode is Opcode.TEXT)
            else:
                self._fragments = [bytes(frame.data)]
                self._fragments_text = opcode is Opcode.TEXT
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                message, self._fragments = b"".join(self._fragments), None
                self._message(message, self._fragments_text)
        elif opcode is Opcode.PONG:
            self._ping_sent = None
        elif opcode is Opcode.CLOSE:
            self._closing = True
            self._detach()

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
