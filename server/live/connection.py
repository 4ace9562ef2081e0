"""One live-room connection: who it is, what it is shown, where its messages go.

What a connection is shown depends on its role (moderators-only events, hidden text); the
role is read on entry, by every command, and by the access review (server/documents/
review.py), which applies a change at once and tells the client (`role`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from websockets.frames import Frame, Opcode

from server.closecodes import CloseCode
from server.documents.connection import Access
from server.live.seats import Seat, SeatKind
from server.live.visibility import moderates
from server.policy import Role
from storage.accounts import StoredUser
from storage.room_events import StoredEvent

_ids = itertools.count(1)


def encode(message: dict[str, Any]) -> str:
    """A message as the text of one frame."""
    return json.dumps(message, ensure_ascii=False)


def text_frame(text: str) -> bytes:
    """A server's text frame as it goes on the wire: the same bytes for every receiver
    (servers do not mask, and no extension is negotiated on live sockets)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def framed(message: dict[str, Any]) -> bytes:
    """A message as one frame on the wire."""
    return text_frame(encode(message))


class Outlet(Protocol):
    """The socket end of a live connection."""

    def send(self, message: dict[str, Any]) -> bool:
        """Queue a message; False when the client is too far behind to keep."""
        ...

    def send_frame(self, frame: bytes) -> bool:
        """Queue a message already framed (one frame shared by many receivers)."""
        ...

    def close(self, code: CloseCode, reason: str) -> None: ...


@dataclass
class Viewer:
    """What the presentation of events depends on."""

    user: StoredUser | None
    moderator: bool = False


class RoleReview(Protocol):
    """Re-reads the roles of open live connections in one query (the live dispatcher)."""

    async def review_roles(self, connections: list[LiveConnection]) -> None: ...


_UNKNOWN = object()  # the role before the first look: learning it is no change


class LiveConnection:
    def __init__(
        self,
        viewer: Viewer,
        outlet: Outlet,
        access: Access | None = None,
        seat: Seat | None = None,
        roles: RoleReview | None = None,
    ) -> None:
        self.id = next(_ids)
        self.viewer = viewer
        self.outlet = outlet
        self.access = access  # what the access review re-checks (server/documents/review.py)
        self.seat = seat or Seat(SeatKind.MEMBER)  # the place it takes in the room
        self.roles = roles  # re-reads its role when the access review runs (issue 10)
        self.cursor = 0  # the last event number sent to this connection
        self.counted = False  # counted on the presence board (it joined, and has not left)
        self.attached = 0  # its number among the room's attachments (LiveRoom.attach)
        self._held: list[StoredEvent] | None = []  # live events that came during the replay
        self._role: object = _UNKNOWN

    def regrade(self, role: Role | None) -> None:
        """The caller's role as just read: it decides what this connection is shown, at
        once (moderators-only events, hidden text). A change is announced to the client with
        an ephemeral `role` message."""
        self.viewer.moderator = moderates(role)
        known, self._role = self._role, role
        if known is not _UNKNOWN and known != role:
            self.send({"type": "role", "role": None if role is None else role.value})

    def last_role(self) -> tuple[bool, Role | None]:
        """Whether the role was read yet, and the role as last read (on entry, by every
        command, by the access review)."""
        role = self._role
        return role is not _UNKNOWN, role if isinstance(role, Role) else None

    @property
    def user(self) -> StoredUser | None:
        return self.viewer.user

    def send(self, message: dict[str, Any]) -> None:
        if not self.outlet.send(message):
            self.outlet.close(CloseCode.SLOW_READER, "too slow to read; reconnect to resume")

    def send_frame(self, frame: bytes) -> None:
        if not self.outlet.send_frame(frame):
            self.outlet.close(CloseCode.SLOW_READER, "too slow to read; reconnect to resume")

    def deliver(self, event: StoredEvent, shown: Shown) -> None:
        """Send a live event as this viewer is shown it (held during the replay)."""
        if self._held is not None:
            self._held.append(event)
        elif event.seq > self.cursor:
            self.cursor = event.seq
            self.send_frame(shown(event, self.viewer))

    def replayed(self, shown: Shown) -> None:
        """The replay from SQL is done: send what was held back, then go live."""
        held, self._held = self._held or [], None
        for event in held:
            self.deliver(event, shown)


Presenter = Callable[[StoredEvent, Viewer], dict[str, Any]]  # an event as a viewer sees it
Shown = Callable[[StoredEvent, Viewer], bytes]  # the same, framed for the wire
