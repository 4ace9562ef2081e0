"""Who is connected where, in Redis: one hash per room and node, with an expiry.

Each node keeps, for every room in which it has people, a hash ``presence/{room}/{node}``
(user id -> a JSON record) and its node id in the room's sorted set ``presence/{room}``
scored by the time its hash expires. A node renews both every few seconds (`renew`); a node
that dies stops renewing, and its people drop out of `everyone` once its time has passed, at
most `TTL_SECONDS` after its last renewal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from storage.errors import BoardUnavailable

TTL_SECONDS = 10.0  # a silent node's people are gone this long after its last renewal

Record = dict[str, Any]
_UNREACHABLE = (RedisError, OSError)


class RedisPresenceStore:
    """This node's part of the deployment-wide presence, and the reading of all of it."""

    def __init__(self, url: str, node_id: bytes) -> None:
        self._client: Redis = Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0)
        )
        database = self._client.connection_pool.connection_kwargs.get("db", 0)
        self._prefix = f"veche/{database}/presence/"
        self._node = node_id.hex()

    async def close(self) -> None:
        await self._client.aclose()

    def _room(self, room_id: int) -> str:
        return f"{self._prefix}{room_id}"

    def _mine(self, room_id: int) -> str:
        return f"{self._prefix}{room_id}/{self._node}"

    async def put(self, room_id: int, user_id: int, record: Record) -> None:
        """Hold ``record`` for the user in the room on this node. Raises BoardUnavailable."""
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                value = json.dumps(record, ensure_ascii=False)
                pipe.hset(self._mine(room_id), str(user_id), value)
                self._renew_room(pipe, room_id)
                await pipe.execute()
        except _UNREACHABLE as exc:
            raise BoardUnavailable(str(exc)) from exc

    async def remove(self, room_id: int, user_id: int) -> None:
        """Raises BoardUnavailable."""
        try:
            await self._client.hdel(self._mine(room_id), str(user_id))
        except _UNREACHABLE as exc:
            raise BoardUnavailable(str(exc)) from exc

    async def renew(self, room_ids: Iterable[int]) -> None:
        """Keep this node's entries of the rooms alive for another TTL. Raises
        BoardUnavailable."""
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for room_id in room_ids:
                    self._renew_room(pipe, room_id)
                await pipe.execute()
        except _UNREACHABLE as exc:
            raise BoardUnavailable(str(exc)) from exc

    def _renew_room(self, pipe: Any, room_id: int) -> None:
        pipe.pexpire(self._mine(room_id), int(TTL_SECONDS * 1000))
        pipe.zadd(self._room(room_id), {self._node: time.time() + TTL_SECONDS})
        pipe.pexpire(self._room(room_id), int(TTL_SECONDS * 1000))

    async def everyone(self, room_id: int) -> list[tuple[str, int, Record]]:
        """(node, user id, record) of every live node's people in the room. Raises
        BoardUnavailable."""
        try:
            return await self._everyone(room_id)
        except _UNREACHABLE as exc:
            raise BoardUnavailable(str(exc)) from exc

    async def _everyone(self, room_id: int) -> list[tuple[str, int, Record]]:
        key = self._room(room_id)
        now = time.time()
        await self._client.zremrangebyscore(key, "-inf", now)
        members: list[Any] = list(await self._client.zrangebyscore(key, now, "+inf"))
        nodes = [bytes(member).decode() for member in members]
        if not nodes:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for node in nodes:
                pipe.hgetall(f"{key}/{node}")
            tables = await pipe.execute()
        found = []
        for node, table in zip(nodes, tables, strict=True):
            for user_id, record in table.items():
                found.append((node, int(user_id), json.loads(record)))
        return found
