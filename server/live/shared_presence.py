"""The presence board of several nodes: each node counts its own connections in process and
shows them in Redis (storage.redis_presence); who is in a room is the union over the nodes.

A person counts as arrived when their first connection anywhere opens and as departed when
their last one anywhere closes, so `joined` and `left` are told once, whichever nodes they
use. When Redis cannot be reached the board falls back to this node's own people: presence
is degraded, nothing else is.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from server.live.presence import LocalPresence, Presence
from storage.bus import Bus
from storage.errors import BoardUnavailable

if TYPE_CHECKING:  # Redis is an optional extra, imported only when configured
    from storage.redis_presence import RedisPresenceStore

log = logging.getLogger(__name__)

RENEW_SECONDS = 3.0  # how often a node renews its people on the board (TTL_SECONDS: 10)
_UNREACHABLE = BoardUnavailable
Record = dict[str, Any]


class SharedPresence:
    def __init__(self, store: RedisPresenceStore, bus: Bus) -> None:
        self.local = LocalPresence()
        self._store = store
        self._bus = bus
        self._node = bus.node_id.hex()

    async def close(self) -> None:
        await self._store.close()

    async def arrive(self, room_id: int, person: Presence) -> bool:
        if not await self.local.arrive(room_id, person):
            return False
        elsewhere = await self._elsewhere(room_id, person.user_id)
        await self._show(room_id, person.user_id)
        return not elsewhere

    async def depart(self, room_id: int, user_id: int) -> bool:
        if not await self.local.depart(room_id, user_id):
            return False
        if self._bus.connected:
            try:
                await self._store.remove(room_id, user_id)
            except _UNREACHABLE:
                log.warning("presence: Redis unreachable; a departure shows when it expires")
        return not await self._elsewhere(room_id, user_id)

    async def update(
        self, room_id: int, user_id: int, *, idle: bool | None = None, typing: bool | None = None
    ) -> Presence | None:
        entry = await self.local.update(room_id, user_id, idle=idle, typing=typing)
        if entry is not None:
            await self._show(room_id, user_id)
        return entry

    async def present(self, room_id: int) -> list[Presence]:
        mine = await self.local.present(room_id)
        people = {p.user_id: Presence(**asdict(p)) for p in mine}
        for node, user_id, record in await self._everyone(room_id):
            if node == self._node:
                continue  # this node's own count is the one in process
            known = people.get(user_id)
            if known is None:
                people[user_id] = Presence(
                    user_id,
                    str(record["name"]),
                    str(record["display_name"]),
                    int(record["connections"]),
                    bool(record["idle"]),
                    bool(record["typing"]),
                )
            else:
                known.connections += int(record["connections"])
                known.idle = known.idle and bool(record["idle"])
                known.typing = known.typing or bool(record["typing"])
        return sorted(people.values(), key=lambda p: p.name)

    async def renew_forever(self) -> None:
        """Keep this node's people alive in Redis, and write them again after an outage."""
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            if not self._bus.connected:
                continue
            try:
                for room_id, people in list(self.local.rooms.items()):
                    for user_id in list(people):
                        await self._store.put(room_id, user_id, asdict(people[user_id]))
                await self._store.renew(list(self.local.rooms))
            except _UNREACHABLE:
                log.warning("presence: Redis unreachable; other nodes' people are not shown")

    async def _show(self, room_id: int, user_id: int) -> None:
        entry = self.local.rooms.get(room_id, {}).get(user_id)
        if entry is None or not self._bus.connected:
            return
        try:
            await self._store.put(room_id, user_id, asdict(entry))
        except _UNREACHABLE:
            log.warning("presence: Redis unreachable; shown again once it is back")

    async def _everyone(self, room_id: int) -> list[tuple[str, int, Record]]:
        if not self._bus.connected:
            return []
        try:
            return await self._store.everyone(room_id)
        except _UNREACHABLE:
            return []

    async def _elsewhere(self, room_id: int, user_id: int) -> bool:
        return any(
            node != self._node and uid == user_id for node, uid, _ in await self._everyone(room_id)
        )
