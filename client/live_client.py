"""`LiveClient`: a live room over `ws://HOST:PORT/live/{room}` (docs/protocol.md).

    async with LiveClient("ws://127.0.0.1:8000/live", "obshtina", token=TOKEN) as room:
        ack = await room.send("post", body="Предлагам да започнем")
        event = await room.next_event("message.posted")

Every event the room numbers is queued for `events()` / `next_event()` and its id remembered;
after a dropped connection the client reconnects with `since=` that id and so receives what
it missed, in order, exactly once. Closes in 4400-4499 are final (DocumentClient's rule).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from client.reconnect import is_final, reopen

log = logging.getLogger(__name__)

Message = dict[str, Any]
EPHEMERAL = frozenset({"welcome", "ack", "error", "presence", "typing", "floor.time_up"})


class LiveClientError(Exception):
    """The room refused a command (``code`` is the error event's code) or the connection."""

    def __init__(self, message: str, code: str | int | None = None, event: Message | None = None):
        super().__init__(message)
        self.code = code
        self.event = event or {}


class LiveClient:
    def __init__(
        self,
        base_url: str,
        room: str,
        *,
        token: str | None = None,
        since: int | None = None,
        reconnect: bool = True,
    ) -> None:
        self._base = f"{base_url.rstrip('/')}/{quote(room, safe='')}"
        self._token = token
        self.last_event_id = since
        self.welcome: Message | None = None
        self.close_code: int | None = None
        self._reconnect = reconnect
        self._ws: ClientConnection | None = None
        self._incoming: asyncio.Queue[Message] = asyncio.Queue()
        self._replies: dict[str, asyncio.Future[Message]] = {}
        self._refs = itertools.count(1)
        self._welcomed = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def url(self) -> str:
        query: dict[str, str] = {}
        if self._token:
            query["token"] = self._token
        if self.last_event_id is not None:
            query["since"] = str(self.last_event_id)
        return f"{self._base}?{urlencode(query)}" if query else self._base

    async def __aenter__(self) -> LiveClient:
        await self.connect()
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def connect(self, timeout: float = 10.0) -> None:
        """Connect and wait for the room's `welcome`; LiveClientError if refused."""
        await self._open()
        self._runner = asyncio.create_task(self._run())
        async with asyncio.timeout(timeout):
            welcomed = asyncio.create_task(self._welcomed.wait())
            done, _ = await asyncio.wait({welcomed, self._runner}, return_when="FIRST_COMPLETED")
            if welcomed not in done:
                welcomed.cancel()
                await self._runner  # raises LiveClientError with the close code
                raise LiveClientError("closed before welcome", self.close_code)

    async def send(self, type_: str, timeout: float = 10.0, **fields: Any) -> Message:
        """Send a command and wait for its ack; LiveClientError carries an error event."""
        ref = f"c{next(self._refs)}"
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._replies[ref] = future
        try:
            await self.send_raw(json.dumps({"type": type_, "ref": ref, **fields}))
            async with asyncio.timeout(timeout):
                reply = await future
        finally:
            self._replies.pop(ref, None)
        if reply["type"] == "error":
            raise LiveClientError(reply.get("message", ""), reply.get("code"), reply)
        return reply

    async def send_raw(self, frame: str) -> None:
        """Send a frame as it is (tests use it for malformed input)."""
        if self._ws is None:
            raise LiveClientError("not connected")
        await self._ws.send(frame)

    async def events(self) -> AsyncIterator[Message]:
        """Every message from the room but acks and errors of commands, in order."""
        while True:
            yield await self._incoming.get()

    async def next_event(
        self,
        type_: str | Callable[[Message], bool],
        timeout: float = 10.0,
    ) -> Message:
        """The next message of that type (or matching the predicate); others are dropped."""
        matches = type_ if callable(type_) else (lambda m: m.get("type") == type_)
        async with asyncio.timeout(timeout):
            while True:
                message = await self._incoming.get()
                if matches(message):
                    return message

    def pending(self) -> list[Message]:
        """The messages received and not yet taken, without waiting."""
        taken = []
        while not self._incoming.empty():
            taken.append(self._incoming.get_nowait())
        return taken

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        """Wait until the connection ends for good; the close code the room sent."""
        if self._runner is not None:
            async with asyncio.timeout(timeout):
                with contextlib.suppress(LiveClientError):
                    await asyncio.shield(self._runner)
        return self.close_code

    async def drop(self) -> None:
        """Lose the connection (as a network failure would); the client reconnects."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            with contextlib.suppress(LiveClientError):
                await self._runner

    async def _open(self) -> None:
        self._welcomed.clear()
        self._ws = await connect(self.url, compression=None, open_timeout=10)

    async def _run(self) -> None:
        while True:
            assert self._ws is not None
            try:
                async for frame in self._ws:
                    if isinstance(frame, str):
                        self._receive(json.loads(frame))
                self.close_code = self._ws.close_code
            except ConnectionClosed as exc:
                self.close_code = exc.rcvd.code if exc.rcvd else None
            for future in self._replies.values():
                if not future.done():
                    future.set_exception(LiveClientError("connection lost", self.close_code))
            final = is_final(self.close_code)
            if self._closing or not self._reconnect or final:
                if final and not self._closing:
                    raise LiveClientError(f"closed by the room: {self.close_code}", self.close_code)
                return
            if not await reopen(self._open, lambda: self._closing, self._base):
                return

    def _receive(self, message: Message) -> None:
        kind = message.get("type")
        ref = message.get("ref")
        if kind in ("ack", "error") and isinstance(ref, str) and ref in self._replies:
            future = self._replies[ref]
            if not future.done():
                future.set_result(message)
            return
        if kind == "welcome":
            self.welcome = message
            if self.last_event_id is None:
                self.last_event_id = message.get("last_event_id")
            self._welcomed.set()
        elif kind not in EPHEMERAL and isinstance(message.get("id"), int):
            self.last_event_id = message["id"]
        self._incoming.put_nowait(message)
