"""Who is in a room: per user, however many connections they have open.

An interface with an in-process implementation (one node); the scaling issue adds Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Presence:
    """One user present in a room."""

    user_id: int
    name: str
    display_name: str
    connections: int = 0
    idle: bool = False
    typing: bool = False


class PresenceBoard(Protocol):
    async def arrive(self, room_id: int, person: Presence) -> bool:
        """Count one more connection of the user; True if they were not here before."""
        ...

    async def depart(self, room_id: int, user_id: int) -> bool:
        """Count one connection less; True if it was the user's last."""
        ...

    async def update(
        self, room_id: int, user_id: int, *, idle: bool | None = None, typing: bool | None = None
    ) -> Presence | None:
        """Change the user's idle or typing state; the entry, or None if they are not here."""
        ...

    async def present(self, room_id: int) -> list[Presence]:
        """Everyone here, by name."""
        ...


@dataclass
class LocalPresence:
    """The in-process board: rooms by id, people by user id."""

    rooms: dict[int, dict[int, Presence]] = field(default_factory=dict)

    async def arrive(self, room_id: int, person: Presence) -> bool:
        people = self.rooms.setdefault(room_id, {})
        entry = people.setdefault(person.user_id, person)
        entry.connections += 1
        return entry.connections == 1

    async def depart(self, room_id: int, user_id: int) -> bool:
        people = self.rooms.get(room_id, {})
        entry = people.get(user_id)
        if entry is None:
            return False
        entry.connections -= 1
        if entry.connections > 0:
            return False
        del people[user_id]
        if not people:
            self.rooms.pop(room_id, None)
        return True

    async def update(
        self, room_id: int, user_id: int, *, idle: bool | None = None, typing: bool | None = None
    ) -> Presence | None:
        entry = self.rooms.get(room_id, {}).get(user_id)
        if entry is None:
            return None
        if idle is not None:
            entry.idle = idle
        if typing is not None:
            entry.typing = typing
        return entry

    async def present(self, room_id: int) -> list[Presence]:
        return sorted(self.rooms.get(room_id, {}).values(), key=lambda p: p.name)
