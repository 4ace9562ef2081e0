"""Bounds and paces the awareness one `/yjs/` connection sends (docs/protocol.md, Awareness).

Awareness is cosmetic (who is here, where their cursor is) and only its latest state matters,
so a connection that sends more than it may loses nothing a reader would miss: its states are
coalesced per client id and relayed at most `awareness_rate` times a second (bursts of
`awareness_burst`), always ending with the latest. What no well-behaved client sends is
dropped without an answer — closing would make the stock client reconnect and resend it:

- a message over `max_awareness_bytes`, or announcing more than `MAX_ENTRIES_PER_MESSAGE`
  entries, is dropped before it is decoded (decoding costs ~4 µs an entry);
- entries for client ids owned by another connection are dropped (the stock client echoes
  every state it receives; the registry would ignore them anyway);
- ids past `MAX_CLIENTS_PER_OWNER` per connection and states over `MAX_STATE_BYTES` are
  dropped (by the document's `AwarenessRegistry`, and here before they are held);
- an anonymous read-only connection's awareness is dropped whole (docs/access.md says why).

A malformed message still closes the connection with 1002, as every malformed frame does.
"""

from __future__ import annotations

import asyncio

from crdt.awareness import (
    MAX_CLIENTS_PER_OWNER,
    AwarenessEntry,
    awareness_entry_count,
    decode_awareness_update,
    encode_awareness_update,
)
from crdt.messages import AwarenessMessage, MessageType, decode_message, encode_message
from server.documents.connection import DocumentConnection, TokenBucket
from server.documents.shared import SharedDocument
from server.settings import Settings

# Entries one message may announce. A client's own changes come one id at a time; longer
# messages are the stock client echoing others' states, which are dropped anyway.
MAX_ENTRIES_PER_MESSAGE = 64


def is_awareness(frame: bytes) -> bool:
    """Whether a frame is an awareness message (checked without decoding it)."""
    return len(frame) > 0 and frame[0] == MessageType.AWARENESS


class AwarenessGate:
    """One connection's awareness on its way to the document: bounded, coalesced, paced."""

    __slots__ = ("_bucket", "_flush_timer", "_max_bytes", "_pending")

    def __init__(self, settings: Settings) -> None:
        self._bucket = TokenBucket(settings.awareness_rate, settings.awareness_burst)
        self._max_bytes = settings.max_awareness_bytes
        self._pending: dict[int, AwarenessEntry] = {}  # the latest entry per client id
        self._flush_timer: asyncio.TimerHandle | None = None

    @property
    def held(self) -> int:
        """Client ids whose latest state waits for the rate to allow a relay."""
        return len(self._pending)

    def offer(self, frame: bytes, connection: DocumentConnection, shared: SharedDocument) -> None:
        """Take one awareness frame from `connection`; hand what passes to the document.

        Raises crdt's ProtocolError for a malformed message (nothing is held or relayed).
        """
        access = connection.access
        if len(frame) > self._max_bytes or (access.user_id is None and not access.can_write):
            return
        message = decode_message(frame)
        assert isinstance(message, AwarenessMessage)
        if awareness_entry_count(message.update) > MAX_ENTRIES_PER_MESSAGE:
            return
        entries = decode_awareness_update(message.update)
        registry = shared.awareness
        owned = registry.owned_by(connection.id)
        kept = []
        for entry in entries:
            owner = registry.owner_of(entry.client_id)
            if owner is not None and owner != connection.id:
                continue  # an echo of someone else's state
            if owner is None and entry.removed:
                continue  # an echo of a departure: the registry ignores it too
            if registry.state_too_large(entry):
                continue
            is_new = entry.client_id not in owned and entry.client_id not in self._pending
            if is_new and len(owned) + self._new_ids_held(owned) >= MAX_CLIENTS_PER_OWNER:
                continue  # past the bound of ids per connection
            kept.append(entry)
        if not kept:
            return
        if self._flush_timer is not None:  # a relay is due: it will carry the latest states
            self._hold(kept)
            return
        delay = self._bucket.delay()
        if delay == 0 and not self._pending and len(kept) == len(entries):
            shared.receive(connection, frame)  # the common case: relayed as received
            return
        self._hold(kept)
        if delay == 0:
            self._flush(connection, shared)
        else:
            loop = asyncio.get_running_loop()
            self._flush_timer = loop.call_later(delay, self._flush, connection, shared)

    def stop(self) -> None:
        """The connection is gone: forget what is held."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        self._pending.clear()

    def _new_ids_held(self, owned: frozenset[int]) -> int:
        return sum(1 for client_id in self._pending if client_id not in owned)

    def _hold(self, entries: list[AwarenessEntry]) -> None:
        for entry in entries:
            known = self._pending.get(entry.client_id)
            if known is None or entry.clock >= known.clock:
                self._pending[entry.client_id] = entry

    def _flush(self, connection: DocumentConnection, shared: SharedDocument) -> None:
        """Relay the latest held state of each client id, as one message."""
        self._flush_timer = None
        pending, self._pending = self._pending, {}
        if not pending or connection.close_code is not None:
            return
        if shared.connections.get(connection.id) is not connection:
            return
        payload = encode_awareness_update(pending.values())
        shared.receive(connection, encode_message(AwarenessMessage(payload)))
