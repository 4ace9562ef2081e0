"""`/live/{room}` sockets driven straight from the event loop (server/raw_socket.py).

Until issue 15 a live connection went through uvicorn's ASGI WebSocket path with a send
queue and a writer task of its own, and every message to every viewer cost an ASGI call and a
system call: a message to a room of 1,000 took about 31 ms of the server's CPU, and at 20
messages a second the poster's messages fell seconds behind. Now what a room sends is framed
once for all its viewers (`framed`) and each socket's frames of a loop turn leave in one
write. The session — admission, then the commands one after another — is one task per
connection (server/live/socket.py), reading whole text messages from `receive`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from websockets.http11 import Request

from server.closecodes import CloseCode
from server.live.connection import framed
from server.origins import upgrade_token
from server.raw_socket import PING_INTERVAL, RawWebSocket

if TYPE_CHECKING:
    from server.services import Services

LIVE_PATH = "/live/"
# Commands waiting for the session beyond these stop the reading (TCP pushes back on the
# client); one command is handled at a time, in order.
INBOX_MESSAGES = 32
INBOX_BYTES = 1024 * 1024
BINARY = b""  # what `receive` gives for a binary message (refused with an error event)


class LiveSocket(RawWebSocket):
    """One WebSocket on `/live/{room}`: the outlet of its live connection."""

    __slots__ = (
        "_arrived",
        "_held_back",
        "_inbox",
        "_inbox_bytes",
        "_keepalive",
        "_session",
        "request",
    )

    def __init__(self, services: Services, server_state: Any, session: Session) -> None:
        super().__init__(services, server_state)
        self._session = session  # what runs the connection (server/live/socket.py)
        self._inbox: deque[tuple[str | bytes, int]] = deque()  # messages and their sizes
        self._inbox_bytes = 0
        self._held_back = False  # reading paused: the inbox is full
        self._arrived: asyncio.Event | None = None  # made when the session waits
        self._keepalive: asyncio.TimerHandle | None = None
        self.request: LiveRequest | None = None

    # -- the frame layer's hooks ---------------------------------------------------------
    def _opened(self, request: Request) -> None:
        target = urlsplit(request.path)
        peer = None if self._transport is None else self._transport.get_extra_info("peername")
        self.request = LiveRequest(
            room=unquote(target.path[len(LIVE_PATH) :]),
            query=target.query,
            origin=request.headers.get("Origin"),
            host=request.headers.get("Host"),
            token=upgrade_token(target.query, request.headers),
            address=peer[0] if isinstance(peer, tuple) and peer else None,
        )
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._session(self._services, self))
        self._server_state.tasks.add(task)  # owned by the server: awaited on shutdown
        task.add_done_callback(self._server_state.tasks.discard)
        self._keepalive = loop.call_later(PING_INTERVAL / 2, self._tick)

    def _message(self, payload: bytes, text: bool) -> None:
        if self._closing:
            return
        if text:
            try:
                item: str | bytes = payload.decode()
            except UnicodeDecodeError:
                self.close(CloseCode.UNSUPPORTED_DATA, "text frames must be UTF-8")
                return
        else:
            item = BINARY
        self._inbox.append((item, len(payload)))
        self._inbox_bytes += len(payload)
        full = len(self._inbox) >= INBOX_MESSAGES or self._inbox_bytes >= INBOX_BYTES
        if full and not self._held_back and self._transport is not None:
            self._held_back = True
            self._transport.pause_reading()
        if self._arrived is not None:
            self._arrived.set()

    def _detach(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        if self._arrived is not None:
            self._arrived.set()  # the session reads the end

    def _tick(self) -> None:
        self.keepalive(time.monotonic())
        if not (self._closing or self._lost):
            loop = asyncio.get_running_loop()
            self._keepalive = loop.call_later(PING_INTERVAL / 2, self._tick)

    # -- what the session uses -----------------------------------------------------------
    async def receive(self) -> str | bytes | None:
        """The next whole message (a text, or BINARY), in order; None once the connection
        is closing or gone."""
        while not self._inbox:
            if self._closing or self._lost:
                return None
            if self._arrived is None:
                self._arrived = asyncio.Event()
            self._arrived.clear()
            await self._arrived.wait()
        if self._closing or self._lost:
            return None
        item, size = self._inbox.popleft()
        self._inbox_bytes -= size
        if self._held_back and self._transport is not None:
            self._held_back = False
            self._transport.resume_reading()
        return item

    def send(self, message: dict[str, Any]) -> bool:
        """Queue one message for this socket alone; False when it reads too slowly."""
        return self.send_wire(framed(message))

    def send_frame(self, frame: bytes) -> bool:
        """Queue a frame shared with other receivers; False when it reads too slowly."""
        return self.send_wire(frame)


Session = Callable[["Services", "LiveSocket"], Coroutine[Any, Any, None]]


class LiveRequest:
    """What the upgrade request of a live socket said."""

    __slots__ = ("address", "host", "origin", "query", "room", "token")

    def __init__(
        self,
        *,
        room: str,
        query: str,
        origin: str | None,
        host: str | None,
        token: str | None,
        address: str | None,
    ) -> None:
        self.room, self.query, self.origin, self.host = room, query, origin, host
        self.token, self.address = token, address
