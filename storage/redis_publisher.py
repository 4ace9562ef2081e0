"""The bus's publishing connection: PUBLISH commands written as soon as the sending task runs,
their replies read by a task of their own.

redis-py's pipeline gets a connection from the pool through several awaits and, on Python
3.11, writes through ``asyncio.wait_for``, which runs the write in a task of its own: the
commands reached the socket one event-loop turn after the publishing task woke, after this
node had written the same update to all of its own sockets. Other nodes' observers then waited
for this node's fan-out before theirs could begin. Here the commands are written in the first
step of the sending task (woken in the turn that accepted the update, before the turn's socket
writes), and the next batch does not wait for the previous batch's replies: at most
``UNANSWERED_LIMIT`` commands are in flight, each answered within ``REPLY_SECONDS`` or the
connection is taken for broken.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError

UNANSWERED_LIMIT = 2_000  # PUBLISH commands sent and not yet answered
REPLY_SECONDS = 5.0  # the longest a command waits for its reply, or a write for the socket


class Publisher:
    """One connection that publishes; raises RedisError or OSError when it breaks (the
    caller drops what was in flight and connects again)."""

    def __init__(self, client: Redis) -> None:
        pool = client.connection_pool
        # no socket timeout of redis-py's own: its write goes through asyncio.wait_for (a task
        # per write on 3.11); the waits here are bounded by asyncio.timeout instead
        kwargs: dict[str, Any] = {**pool.connection_kwargs, "socket_timeout": None}
        self._connection: AbstractConnection = pool.connection_class(**kwargs)
        self._unanswered = 0  # commands
        self._writes: deque[list[int]] = deque()  # per write: [commands unanswered, messages]
        self._unsent = 0  # messages of a write that waits for room
        self._sent = asyncio.Event()  # commands wait for replies
        self._answered = asyncio.Event()  # room under UNANSWERED_LIMIT again
        self._replies: asyncio.Task[None] | None = None

    @property
    def in_flight(self) -> int:
        """Messages handed to `publish` and not yet answered by Redis."""
        return self._unsent + sum(messages for _, messages in self._writes)

    async def connect(self) -> None:
        async with asyncio.timeout(REPLY_SECONDS):
            await self._connection.connect()  # type: ignore[no-untyped-call]
        self._replies = asyncio.create_task(self._read_replies(), name="bus-replies")

    async def publish(self, commands: list[tuple[str, bytes]], messages: int) -> None:
        """Write a PUBLISH for each (channel, payload), which carry ``messages`` messages of
        the bus; returns once they are on their way, without waiting for the replies (unless
        too many are unanswered)."""
        self._unsent = messages
        while self._unanswered >= UNANSWERED_LIMIT:
            self._check_replies()
            self._answered.clear()
            async with asyncio.timeout(REPLY_SECONDS):
                await self._answered.wait()
        self._check_replies()
        packed = self._connection.pack_commands(
            [("PUBLISH", channel, payload) for channel, payload in commands]
        )
        self._unanswered += len(commands)
        self._writes.append([len(commands), messages])
        self._unsent = 0
        self._sent.set()
        async with asyncio.timeout(REPLY_SECONDS):
            await self._connection.send_packed_command(packed, check_health=False)

    async def close(self) -> None:
        if self._replies is not None:
            self._replies.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._replies
        with contextlib.suppress(Exception):
            await self._connection.disconnect()

    def _check_replies(self) -> None:
        """Raise what broke the reply reader, if it stopped."""
        if self._replies is not None and self._replies.done():
            error = self._replies.exception()
            raise error if error is not None else RedisConnectionError("replies stopped")

    async def _read_replies(self) -> None:
        while True:
            if self._unanswered == 0:
                self._sent.clear()
                await self._sent.wait()
                continue
            async with asyncio.timeout(REPLY_SECONDS):
                await self._connection.read_response()
            self._unanswered -= 1
            head = self._writes[0]
            head[0] -= 1
            if head[0] == 0:
                self._writes.popleft()
            if self._unanswered < UNANSWERED_LIMIT:
                self._answered.set()
