"""The live rooms of this node: each loaded on its first connection and closed after its last,
the bus's events and messages handed to the open ones, and the comparison with SQL that
repairs what a lost bus message left out (several nodes)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

from server.closecodes import CloseCode
from server.live.connection import LiveConnection, Presenter
from server.live.crossnode import RoomLinks
from server.live.presence import PresenceBoard
from server.live.room import NODE_ONLY, EventWatch, LiveRoom, Redactor, RoomLimits
from server.live.seats import NoSeat
from server.supervisor import TaskSupervisor
from storage.discussion import DiscussionStore
from storage.room_events import StoredEvent

log = logging.getLogger(__name__)


class LiveRooms:
    """The live rooms of this node, loaded on their first connection."""

    def __init__(
        self,
        store: DiscussionStore,
        presence: PresenceBoard,
        present: Presenter,
        redact: Redactor,
        *,
        tasks: TaskSupervisor | None = None,
        links: RoomLinks | None = None,
    ) -> None:
        self._supervisor = tasks or TaskSupervisor()
        self._links = links if links is not None and links.active else None
        self._store, self._presence, self._present = store, presence, present
        self._redact = redact
        self._rooms: dict[int, LiveRoom] = {}
        self._lock = asyncio.Lock()
        self.watch: EventWatch | None = None  # given to every room opened here
        # told by other nodes for this node's services, not its connections: (room id, the
        # message) for a message whose type starts with NODE_ONLY
        self.node_news: Callable[[int, dict[str, Any]], None] | None = None

    def get(self, room_id: int) -> LiveRoom | None:
        return self._rooms.get(room_id)

    def connections(self) -> Iterator[LiveConnection]:
        """Every live connection on this node."""
        for room in list(self._rooms.values()):
            yield from list(room.connections.values())

    async def open(
        self, room_id: int, connection: LiveConnection, limits: RoomLimits
    ) -> LiveRoom | NoSeat:
        """Attach a connection to the room (loading it), holding back live events until it has
        joined; NoSeat when its kind of place is full on this node (server/live/seats.py)."""
        async with self._lock:
            room = self._rooms.get(room_id)
            if room is None:
                links = self._links
                if links is not None:  # first listen, then read: nothing falls in between
                    await links.follow(room_id, self._deliver, self._hearer(room_id))
                delivered = await self._store.last_seq(room_id)
                room = LiveRoom(
                    room_id,
                    self._store,
                    self._presence,
                    self._present,
                    self._redact,
                    delivered,
                    limits,
                    self._supervisor.scope(),
                    None if links is None else lambda told: links.told(room_id, told),
                )
                room.watch = self.watch
                self._rooms[room_id] = room
            refused = room.seats.take(connection.seat)
            if refused is not None:
                if not room.connections:
                    await self._close(room)
                return refused
            room.attach(connection)
            return room

    async def close_if_empty(self, room: LiveRoom) -> None:
        async with self._lock:
            if not room.connections and self._rooms.get(room.room_id) is room:
                await self._close(room)

    async def _close(self, room: LiveRoom) -> None:
        del self._rooms[room.room_id]
        if self._links is not None:
            await self._links.unfollow(room.room_id)
        await room.stop()

    def publish(self, event: StoredEvent) -> None:
        """Deliver an event committed on this node to its room, here and on other nodes."""
        self._deliver(event)
        if self._links is not None:
            self._links.event(event)

    def _deliver(self, event: StoredEvent) -> None:
        """Deliver an event to its room if the room is open here."""
        room = self._rooms.get(event.room_id)
        if room is not None:
            room.publish(event)

    def tell_nodes(self, room_id: int, message: dict[str, Any]) -> None:
        """A message for the services of the other nodes that have the room open (its type
        starts with NODE_ONLY: never handed to a connection)."""
        assert str(message.get("type", "")).startswith(NODE_ONLY)
        if self._links is not None:
            self._links.told(room_id, message)

    def _hearer(self, room_id: int) -> Callable[[dict[str, Any]], None]:
        def hear(message: dict[str, Any]) -> None:
            if str(message.get("type", "")).startswith(NODE_ONLY):
                if self.node_news is not None:
                    self.node_news(room_id, message)
                return
            room = self._rooms.get(room_id)
            if room is not None:
                room.hear(message)

        return hear

    def catch_up_all(self) -> None:
        """Read from SQL what every open room may have missed (the bus was interrupted)."""
        for room in list(self._rooms.values()):
            self._supervisor.spawn(room.fill_gap(), name=f"live room {room.room_id} catch-up")

    async def follow_sql(self, every: float) -> None:
        """Every ``every`` seconds, deliver the events that open rooms lack (a lost last bus
        message) and tell who left with a dead node; several nodes only."""
        while True:
            await asyncio.sleep(every)
            for room in list(self._rooms.values()):
                try:
                    if await self._store.last_seq(room.room_id) > room.delivered:
                        await room.fill_gap()
                    await room.recount()
                except Exception:
                    log.warning("room %d: cannot compare with SQL now", room.room_id, exc_info=True)

    async def stop(self) -> None:
        for room in list(self._rooms.values()):
            for connection in list(room.connections.values()):
                connection.outlet.close(CloseCode.GOING_AWAY, "server shutting down")
            await room.stop()
        self._rooms.clear()
