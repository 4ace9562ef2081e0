"""A sans-I/O y-websocket sync session: one per connection, for either end.

Feed each received frame to :meth:`SyncSession.receive`, act on the events it returns, and
send every frame :meth:`SyncSession.data_to_send` returns, one frame per WebSocket message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final, TypeAlias, assert_never

from crdt.awareness import AwarenessEntry, decode_awareness_update
from crdt.document import Document
from crdt.messages import (
    AuthMessage,
    AwarenessMessage,
    QueryAwareness,
    SavedNotice,
    SubscribeSaved,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_message,
    encode_update_frame,
    permission_denied,
)

__all__ = [
    "AwarenessQueried",
    "AwarenessReceived",
    "Event",
    "PermissionDenied",
    "RemoteUpdate",
    "Role",
    "Saved",
    "SavedNoticesRequested",
    "SyncSession",
    "Synced",
    "UpdateApplied",
    "WriteDenied",
]

_EMPTY_UPDATE: Final = b"\x00\x00"  # what Yjs encodes when there is nothing to send
READ_ONLY_REASON: Final = "read-only"


@dataclass(frozen=True, slots=True)
class UpdateApplied:
    """Server role: a write was applied. ``relay_frame`` is the SYNC/UPDATE frame for the
    other connections: the received frame object itself for an incoming update, a new one
    for an incoming step 2."""

    update: bytes
    relay_frame: bytes


@dataclass(frozen=True, slots=True)
class WriteDenied:
    """Server role: a write arrived on a read-only session; nothing was applied and an
    auth permission-denied message was queued."""


@dataclass(frozen=True, slots=True)
class AwarenessReceived:
    """An awareness update arrived (decoded entries and the frame, to relay as it is)."""

    entries: list[AwarenessEntry]
    frame: bytes


@dataclass(frozen=True, slots=True)
class AwarenessQueried:
    """The peer asked for every awareness state."""


@dataclass(frozen=True, slots=True)
class SavedNoticesRequested:
    """Server role: the client opted in to saved notices (Veche extension)."""


@dataclass(frozen=True, slots=True)
class Synced:
    """Client role: the first sync step 2 from the server was applied."""


@dataclass(frozen=True, slots=True)
class RemoteUpdate:
    """Client role: an update from the server was applied."""

    update: bytes


@dataclass(frozen=True, slots=True)
class PermissionDenied:
    """An auth permission-denied message arrived."""

    reason: str


@dataclass(frozen=True, slots=True)
class Saved:
    """Client role: a saved notice arrived (Veche extension)."""

    acknowledged: int
    seq: int


Event: TypeAlias = (
    UpdateApplied
    | WriteDenied
    | AwarenessReceived
    | AwarenessQueried
    | SavedNoticesRequested
    | Synced
    | RemoteUpdate
    | PermissionDenied
    | Saved
)


class Role(Enum):
    """Which end of the connection a session is."""

    SERVER = "server"
    CLIENT = "client"


class SyncSession:
    """The y-websocket sync protocol for one connection, without I/O.

    ``writable`` (settable) applies to the server role: when False, incoming step 2 and
    update messages are refused with :class:`WriteDenied` and a permission-denied message,
    except empty updates, which the stock client sends on connect and which are ignored.
    """

    def __init__(self, document: Document, role: Role, *, writable: bool = True) -> None:
        self.document = document
        self.role = role
        self.writable = writable
        self.synced = False
        self.updates_applied = 0
        self._outgoing: list[bytes] = []

    def start(self) -> None:
        """Queue sync step 1 with the document's state vector."""
        self._outgoing.append(encode_message(SyncStep1(self.document.state_vector())))

    def send_update(self, update: bytes) -> None:
        """Queue a SYNC/UPDATE frame carrying ``update`` (e.g. a local edit)."""
        self._outgoing.append(encode_update_frame(update))

    def queue(self, frame: bytes) -> None:
        """Queue an already encoded frame (e.g. this client's awareness) behind the others."""
        self._outgoing.append(frame)

    def data_to_send(self) -> list[bytes]:
        """Return and forget the queued frames (each is exactly one message)."""
        frames, self._outgoing = self._outgoing, []
        return frames

    def receive(self, frame: bytes) -> list[Event]:
        """Handle one received frame and return what happened.

        Raises:
            UnsupportedMessageError: unknown message type (close 1003).
            UpdateError: the update cannot be applied; nothing was applied (close 1002).
            ProtocolError: the frame is malformed; nothing was applied (close 1002).
        """
        message = decode_message(frame)
        if isinstance(message, SyncUpdate):
            return self._receive_update(message.update, frame, step2=False)
        if isinstance(message, SyncStep1):
            diff = self.document.encode_state(message.state_vector)
            self._outgoing.append(encode_message(SyncStep2(diff)))
            return []
        if isinstance(message, SyncStep2):
            return self._receive_update(message.update, None, step2=True)
        if isinstance(message, AwarenessMessage):
            return [AwarenessReceived(decode_awareness_update(message.update), frame)]
        if isinstance(message, QueryAwareness):
            return [AwarenessQueried()]
        if isinstance(message, AuthMessage):
            return [PermissionDenied(message.permission_denied_reason)]
        if isinstance(message, SubscribeSaved):
            return [SavedNoticesRequested()]
        if isinstance(message, SavedNotice):
            return [Saved(message.acknowledged, message.seq)]
        assert_never(message)

    def _receive_update(self, update: bytes, frame: bytes | None, *, step2: bool) -> list[Event]:
        if self.role is Role.CLIENT:
            events: list[Event] = []
            if update != _EMPTY_UPDATE:
                self.document.apply_update(update)
                self.updates_applied += 1
                events.append(RemoteUpdate(update))
            if step2 and not self.synced:
                self.synced = True
                events.append(Synced())
            return events
        if update == _EMPTY_UPDATE:
            return []
        if not self.writable:
            self._outgoing.append(permission_denied(READ_ONLY_REASON))
            return [WriteDenied()]
        self.document.apply_update(update)
        self.updates_applied += 1
        return [UpdateApplied(update, frame if frame is not None else encode_update_frame(update))]
