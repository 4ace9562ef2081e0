"""The bus through Redis pub/sub (storage.bus explains the contract; docs/scaling.md why
pub/sub rather than streams).

Two connections: one publishes from a bounded outbox in batches, written at once with their
replies read apart (storage/redis_publisher.py), one listens.
redis-py's own retries are off, so that every interruption is seen here: the outbox drops
what it cannot send (counted in `dropped`), and once the listener is back it subscribes again
and calls the `on_reconnect` callbacks, which re-read from SQL what the node may have missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections import deque
from collections.abc import Collection
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from storage.bus import NODE_ID_BYTES, Bus, Receiver
from storage.redis_publisher import Publisher

log = logging.getLogger(__name__)

NODE_CHANNEL = "node:"  # + the node id in hex: each node's own channel, always subscribed
# (so that the listener always has one), whose listeners tell whether the node is still there
OUTBOX_LIMIT = 10_000  # messages waiting to be published; the oldest go first when full
BATCH = 500  # messages bundled per write
BEAT_SECONDS = 3.0  # how often a node says it is alive
ALIVE_SECONDS = 10.0  # a node silent this long is taken for dead
POLL_SECONDS = 0.05  # the listener's wait for a message before it looks at subscriptions
MAX_BACKOFF = 2.0
START_WAIT = 3.0  # how long a starting node waits for Redis before it serves without it


class RedisBus(Bus):
    def __init__(self, url: str, node_id: bytes, *, outbox_limit: int = OUTBOX_LIMIT) -> None:
        super().__init__(node_id)
        self._client: Redis = Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 0)
        )
        # Pub/sub channels ignore Redis's database number; the channel names carry it, so
        # deployments sharing a Redis server on different databases never hear each other.
        database = self._client.connection_pool.connection_kwargs.get("db", 0)
        self._prefix = f"veche/{database}/"
        self._nodes = f"{self._prefix}nodes"  # sorted set: node id -> when it counts as dead
        self._receivers: dict[str, Receiver] = {}
        self._changes: list[tuple[str, bool, asyncio.Future[None]]] = []  # (channel, join, done)
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._outbox_limit = outbox_limit
        self._wake = asyncio.Event()
        self._connected = False
        self._first_connection = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.dropped = 0  # messages that could not be published
        self.published = 0  # messages handed to Redis (bundled)
        self.drop_next = 0  # test hook: drop this many of the next messages on purpose

    @property
    def shared(self) -> bool:
        return True

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self) -> None:
        """Start listening and sending; waits (at most START_WAIT) for the first connection,
        and goes on without it: the node then starts degraded and joins the bus later."""
        self._tasks = [
            asyncio.create_task(self._listen(), name="bus-listen"),
            asyncio.create_task(self._send(), name="bus-send"),
            asyncio.create_task(self._beat(), name="bus-heartbeat"),
        ]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(START_WAIT):
                await self._first_connection.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._client.aclose()

    def publish(self, channel: str, message: bytes) -> None:
        if self.drop_next > 0:
            self.drop_next -= 1
            self.dropped += 1
            return
        if len(self._outbox) >= self._outbox_limit:
            self._outbox.popleft()
            self.dropped += 1
        self._outbox.append((self._prefix + channel, message))
        self._wake.set()

    async def subscribe(self, channel: str, receiver: Receiver) -> None:
        self._receivers[self._prefix + channel] = receiver
        await self._change(self._prefix + channel, join=True)

    async def unsubscribe(self, channel: str) -> None:
        if self._receivers.pop(self._prefix + channel, None) is not None:
            await self._change(self._prefix + channel, join=False)

    async def listeners(self, channel: str) -> int:
        try:
            counts = await self._client.pubsub_numsub(self._prefix + channel)
        except (RedisError, OSError):
            return 0
        return int(counts[0][1]) if counts else 0

    async def live_nodes(self) -> set[bytes] | None:
        try:
            members: list[Any] = list(
                await self._client.zrangebyscore(self._nodes, time.time(), "+inf")
            )
        except (RedisError, OSError):
            return None
        return {bytes.fromhex(bytes(member).decode()) for member in members}

    async def gone(self, nodes: Collection[bytes]) -> set[bytes] | None:
        asked = list(nodes)
        if not asked:
            return set()
        try:
            counts = await self._client.pubsub_numsub(*map(self._node_channel, asked))
        except (RedisError, OSError):
            return None
        return {node for node, (_, count) in zip(asked, counts, strict=True) if int(count) == 0}

    def _node_channel(self, node_id: bytes) -> str:
        return f"{self._prefix}{NODE_CHANNEL}{node_id.hex()}"

    async def _beat(self) -> None:
        """Keep this node in the set of live nodes (others drop what it held when it stops)."""
        while True:
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.zadd(self._nodes, {self.node_id.hex(): time.time() + ALIVE_SECONDS})
                    pipe.zremrangebyscore(self._nodes, "-inf", time.time())
                    await pipe.execute()
            except (RedisError, OSError):
                pass  # the listener reports the outage
            await asyncio.sleep(BEAT_SECONDS)

    async def _change(self, channel: str, *, join: bool) -> None:
        """Have the listener (the one user of its connection) join or leave ``channel``."""
        if not self._connected:
            return  # it joins every channel in `_receivers` when it connects
        done = asyncio.get_running_loop().create_future()
        self._changes.append((channel, join, done))
        await done

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._node_channel(self.node_id), *self._receivers)
                await pubsub.get_message(timeout=POLL_SECONDS)
                was_down = not self._connected
                self._connected, backoff = True, 0.1
                self._first_connection.set()
                if was_down:
                    log.info("bus: connected to Redis")
                    self._tell_reconnected()
                await self._receive(pubsub)
            except (RedisError, OSError) as exc:
                if self._connected:
                    log.warning("bus: Redis is unreachable (%s); serving this node's clients", exc)
                self._connected = False
                self._release_changes()
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _receive(self, pubsub: PubSub) -> None:
        while True:
            while self._changes:
                channel, join, done = self._changes.pop(0)
                try:
                    if join:
                        await pubsub.subscribe(channel)
                    else:
                        await pubsub.unsubscribe(channel)
                finally:
                    if not done.done():
                        done.set_result(None)
            message = await pubsub.get_message(timeout=POLL_SECONDS)
            if message is None or message["type"] != "message":
                continue
            self._deliver(message["channel"].decode(), message["data"])

    def _deliver(self, channel: str, data: bytes) -> None:
        sender = data[:NODE_ID_BYTES]
        receiver = self._receivers.get(channel)
        if sender == self.node_id or receiver is None or len(data) < NODE_ID_BYTES:
            return
        try:
            messages = unbundle(data)
        except ValueError:
            log.warning("bus: a damaged bundle on %s was dropped", channel)
            return
        for message in messages:
            try:
                receiver(sender, message)
            except Exception:
                log.exception("bus: a message on %s could not be handled", channel)

    def _release_changes(self) -> None:
        for _, _, done in self._changes:
            if not done.done():
                done.set_result(None)
        self._changes.clear()

    async def _send(self) -> None:
        """Publish the outbox (storage/redis_publisher.py: written in this task's first step,
        replies read apart); on a break, what was in flight counts as dropped and the
        connection is made again."""
        backoff = 0.1
        while True:
            publisher = Publisher(self._client)
            try:
                await publisher.connect()
                backoff = 0.1
                while True:
                    if not self._outbox:
                        self._wake.clear()
                        await self._wake.wait()
                        continue
                    batch = [self._outbox.popleft() for _ in range(min(BATCH, len(self._outbox)))]
                    await publisher.publish(bundles(batch, self.node_id), len(batch))
                    self.published += len(batch)
            except (RedisError, OSError) as exc:
                lost = publisher.in_flight
                self.dropped += lost
                log.debug("bus: publishing broke (%s); %d messages dropped", exc, lost)
            finally:
                await publisher.close()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)


_LENGTH = struct.Struct(">I")
BUNDLE_BYTES = 256 * 1024  # a bundle grows past this by one message at most


def bundles(batch: list[tuple[str, bytes]], node_id: bytes) -> list[tuple[str, bytes]]:
    """One Redis message per channel for the messages of a batch (in their order), each the
    sender's id and then every message with its length; a channel's messages fill several
    bundles when they are many bytes. Fewer messages for Redis to pass and the listeners to
    read: under load, a whole batch for one document is one message."""
    open_: dict[str, list[bytes]] = {}
    sizes: dict[str, int] = {}
    out: list[tuple[str, bytes]] = []
    for channel, message in batch:
        parts = open_.setdefault(channel, [node_id])
        parts.append(_LENGTH.pack(len(message)))
        parts.append(message)
        sizes[channel] = sizes.get(channel, 0) + len(message)
        if sizes[channel] >= BUNDLE_BYTES:
            out.append((channel, b"".join(open_.pop(channel))))
            del sizes[channel]
    out.extend((channel, b"".join(parts)) for channel, parts in open_.items())
    return out


def unbundle(data: bytes) -> list[bytes]:
    """The messages of a bundle (its sender id first); ValueError if it is damaged."""
    view = memoryview(data)
    messages = []
    at = NODE_ID_BYTES
    while at < len(view):
        if at + _LENGTH.size > len(view):
            raise ValueError("a bundle ends inside a length")
        (length,) = _LENGTH.unpack_from(view, at)
        at += _LENGTH.size
        if at + length > len(view):
            raise ValueError("a bundle ends inside a message")
        messages.append(bytes(view[at : at + length]))
        at += length
    return messages
