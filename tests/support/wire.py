"""A raw y-websocket peer for tests: frames in, frames out, nothing hidden."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from crdt.messages import Message, decode_message


class RawPeer:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> RawPeer:
        kwargs.setdefault("compression", None)
        kwargs.setdefault("max_size", 64 * 1024 * 1024)
        return cls(await connect(url, **kwargs))

    async def send(self, frame: bytes | str) -> None:
        await self.ws.send(frame)

    async def recv(self, timeout: float = 5.0) -> bytes:
        async with asyncio.timeout(timeout):
            frame = await self.ws.recv()
        assert isinstance(frame, bytes), f"expected a binary frame, got {frame!r}"
        return frame

    async def recv_message(self, timeout: float = 5.0) -> Message:
        return decode_message(await self.recv(timeout))

    async def recv_until(
        self, predicate: Callable[[Message], bool], timeout: float = 5.0
    ) -> Message:
        """Read messages until one matches; the others are dropped."""
        async with asyncio.timeout(timeout):
            while True:
                message = decode_message(await self.recv(timeout))
                if predicate(message):
                    return message

    async def closed_with(self, timeout: float = 5.0) -> int | None:
        """Read until the server closes; the close code it sent."""
        async with asyncio.timeout(timeout):
            try:
                while True:
                    await self.ws.recv()
            except ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd is not None else None

    async def close(self) -> None:
        await self.ws.close()
