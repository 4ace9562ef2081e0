"""A bounded queue of outgoing frames for one connection, drained by one writer task."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol


class FrameSink(Protocol):
    """The transport side of a connection: sends one binary frame, or closes."""

    async def send(self, frame: bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class Outbox:
    """Frames waiting to be written to one connection.

    `put` never blocks: a reader that falls more than `limit_bytes` behind is not waited for
    (that would slow every other connection of the document); the outbox reports the overflow
    and the caller closes the connection, so memory per connection stays bounded.
    """

    def __init__(self, limit_bytes: int) -> None:
        self._limit = limit_bytes
        self._frames: deque[bytes] = deque()
        self._queued_bytes = 0
        self._ready = asyncio.Event()
        self._closing: tuple[int, str] | None = None

    @property
    def queued_bytes(self) -> int:
        return self._queued_bytes

    @property
    def closing(self) -> bool:
        return self._closing is not None

    def put(self, frame: bytes) -> bool:
        """Queue a frame; False when the bound is exceeded (the frame is not queued)."""
        if self._closing is not None:
            return True
        if self._queued_bytes + len(frame) > self._limit:
            return False
        self._frames.append(frame)
        self._queued_bytes += len(frame)
        self._ready.set()
        return True

    def close(self, code: int, reason: str, *, discard: bool = False) -> None:
        """Ask the writer to close after the queued frames (or at once with `discard`)."""
        if self._closing is not None:
            return
        self._closing = (code, reason)
        if discard:
            self._frames.clear()
            self._queued_bytes = 0
        self._ready.set()

    async def run(self, sink: FrameSink) -> None:
        """Write queued frames until closed, then send the close frame."""
        while True:
            await self._ready.wait()
            while self._frames:
                frame = self._frames.popleft()
                self._queued_bytes -= len(frame)
                await sink.send(frame)
            self._ready.clear()
            if self._closing is not None and not self._frames:
                break
        code, reason = self._closing
        await sink.close(code, reason)
