"""Live rooms served by several nodes: events and passing messages travel between them.

A node that commits an event publishes it on the room's bus channel; the other nodes that
have the room open hand it to `LiveRoom.publish`, which delivers events in number order and
reads from SQL any number that does not come (room.py), so a lost message delays an event
but never loses it. Passing messages (presence, typing, the floor's time) are not stored:
they are told on every node once, and a lost one is simply lost.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from storage.bus import Bus
from storage.room_events import StoredEvent

log = logging.getLogger(__name__)

Hear = Callable[[dict[str, Any]], None]  # a passing message told on another node
Deliver = Callable[[StoredEvent], None]  # an event committed on another node


def room_channel(room_id: int) -> str:
    return f"room:{room_id}"


def encode_event(event: StoredEvent) -> bytes:
    return json.dumps(
        {
            "event": {
                "room_id": event.room_id,
                "seq": event.seq,
                "type": event.type,
                "actor": event.actor_user_id,
                "payload": event.payload,
                "at": event.created_at.isoformat(),
            }
        },
        ensure_ascii=False,
    ).encode()


def encode_told(message: dict[str, Any]) -> bytes:
    return json.dumps({"told": message}, ensure_ascii=False).encode()


def decode(data: bytes) -> StoredEvent | dict[str, Any]:
    """An event, or a passing message. Raises ValueError (and its JSON and key errors)."""
    news = json.loads(data)
    if "told" in news and isinstance(news["told"], dict):
        told: dict[str, Any] = news["told"]
        return told
    event = news["event"]
    return StoredEvent(
        room_id=int(event["room_id"]),
        seq=int(event["seq"]),
        type=str(event["type"]),
        actor_user_id=event["actor"],
        payload=dict(event["payload"]),
        created_at=datetime.fromisoformat(event["at"]),
    )


class RoomLinks:
    """The bus channels of the live rooms open on this node."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    @property
    def active(self) -> bool:
        return self.bus.shared

    async def follow(self, room_id: int, deliver: Deliver, hear: Hear) -> None:
        if not self.active:
            return

        def received(_sender: bytes, data: bytes) -> None:
            try:
                news = decode(data)
            except (ValueError, KeyError, TypeError):
                log.warning("room %d: a bus message was not understood", room_id)
                return
            if isinstance(news, StoredEvent):
                deliver(news)
            else:
                hear(news)

        await self.bus.subscribe(room_channel(room_id), received)

    async def unfollow(self, room_id: int) -> None:
        if self.active:
            await self.bus.unsubscribe(room_channel(room_id))

    def event(self, event: StoredEvent) -> None:
        if self.active:
            self.bus.publish(room_channel(event.room_id), encode_event(event))

    def told(self, room_id: int, message: dict[str, Any]) -> None:
        if self.active:
            self.bus.publish(room_channel(room_id), encode_told(message))
