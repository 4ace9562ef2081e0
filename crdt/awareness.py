"""y-protocols awareness: the update format and a server-side registry of states.

An awareness update is a varUint count, then per client a varUint client id, a varUint clock
and a varString JSON state, where ``null`` means the client's state was removed.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from .errors import ProtocolError
from .lib0 import Decoder, Encoder

__all__ = [
    "MAX_CLIENTS_PER_OWNER",
    "MAX_STATE_BYTES",
    "AwarenessEntry",
    "AwarenessRegistry",
    "awareness_entry_count",
    "decode_awareness_update",
    "encode_awareness_update",
]

_REMOVED = "null"
# A browser tab owns one client id (its Y.Doc's); a few more allow for several documents or
# editors sharing one connection. Ids past this bound announced by one owner are ignored.
MAX_CLIENTS_PER_OWNER = 8
# A cursor, a selection, a name and a colour take a few hundred bytes of JSON.
MAX_STATE_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    """One client's awareness state at a clock; ``state_json == "null"`` is a removal."""

    client_id: int
    clock: int
    state_json: str

    @property
    def removed(self) -> bool:
        """Whether this entry removes the client's state."""
        return self.state_json == _REMOVED


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def decode_awareness_update(payload: bytes) -> list[AwarenessEntry]:
    """Decode an awareness update (the payload of an AWARENESS message).

    A state that parses to JSON ``null`` is normalised to ``"null"``.

    Raises:
        ProtocolError: truncated or trailing bytes, out-of-range integer, invalid UTF-8,
            or a state that is not JSON.
    """
    dec = Decoder(payload)
    count = dec.read_var_uint()
    if count * 3 > len(payload) - dec.position:
        raise ProtocolError("awareness update is shorter than its entry count")
    entries = []
    for _ in range(count):
        client_id = dec.read_var_uint()
        clock = dec.read_var_uint()
        state_json = dec.read_var_string()
        try:
            state = json.loads(state_json, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"awareness state of client {client_id} is not JSON") from exc
        entries.append(AwarenessEntry(client_id, clock, _REMOVED if state is None else state_json))
    if dec.has_content():
        raise ProtocolError("trailing bytes after the awareness update")
    return entries


def awareness_entry_count(payload: bytes) -> int:
    """The number of entries an awareness update announces, read without decoding them.

    Raises:
        ProtocolError: the count is truncated or out of range.
    """
    return Decoder(payload).read_var_uint()


def encode_awareness_update(entries: Iterable[AwarenessEntry]) -> bytes:
    """Encode entries as an awareness update (the payload of an AWARENESS message)."""
    items = list(entries)
    enc = Encoder()
    enc.write_var_uint(len(items))
    for entry in items:
        enc.write_var_uint(entry.client_id)
        enc.write_var_uint(entry.clock)
        enc.write_var_string(entry.state_json)
    return enc.to_bytes()


@dataclass(slots=True)
class _Client:
    owner: Hashable
    clock: int
    state_json: str | None  # None once removed
    updated_at: float


class AwarenessRegistry:
    """Awareness states of one document on the server, with their owning connections.

    Sans-I/O: time is passed in as ``now`` (monotonic seconds). A client id belongs to the
    first owner (connection) that sends a state for it; entries for it from another owner are
    ignored. Ownership and the last clock are kept until the owner leaves.

    Bounded: an owner owns at most ``max_clients_per_owner`` client ids (entries for more new
    ids are ignored, so one connection cannot fill the registry), and a state of more than
    ``max_state_bytes`` bytes of JSON is ignored. Memory is then at most owners x ids x bytes.
    """

    OUTDATED_TIMEOUT: ClassVar[float] = 30.0

    def __init__(
        self,
        *,
        max_clients_per_owner: int = MAX_CLIENTS_PER_OWNER,
        max_state_bytes: int = MAX_STATE_BYTES,
    ) -> None:
        self._clients: dict[int, _Client] = {}
        self._owned: dict[Hashable, set[int]] = {}
        self.max_clients_per_owner = max_clients_per_owner
        self.max_state_bytes = max_state_bytes

    def apply(
        self, owner: Hashable, entries: Sequence[AwarenessEntry], now: float
    ) -> list[AwarenessEntry]:
        """Apply entries sent by ``owner``; return the accepted ones (to relay), in order.

        An entry is accepted when its clock is above the known clock, or equal to it and it
        removes a live state (the y-protocols rule). The first state of an unknown client id
        is accepted at any clock and makes ``owner`` its owner, unless ``owner`` already owns
        ``max_clients_per_owner`` ids; a removal for an unknown id is ignored, and so is a
        state over ``max_state_bytes``.
        """
        accepted: list[AwarenessEntry] = []
        for entry in entries:
            if self.state_too_large(entry):
                continue
            known = self._clients.get(entry.client_id)
            if known is None:
                if entry.removed:
                    continue
                owned = self._owned.setdefault(owner, set())
                if len(owned) >= self.max_clients_per_owner:
                    continue
                self._clients[entry.client_id] = _Client(owner, entry.clock, entry.state_json, now)
                owned.add(entry.client_id)
            elif known.owner != owner:
                continue
            elif entry.clock > known.clock or (
                entry.clock == known.clock and entry.removed and known.state_json is not None
            ):
                known.clock = entry.clock
                known.state_json = None if entry.removed else entry.state_json
                known.updated_at = now
            else:
                continue
            accepted.append(entry)
        return accepted

    def remove_owner(self, owner: Hashable) -> list[AwarenessEntry]:
        """Forget every client id of ``owner`` (its connection closed).

        Returns removal entries (clock + 1, ``"null"``) for the states it had live.
        """
        removals = []
        for client_id in sorted(self._owned.pop(owner, ())):
            known = self._clients.pop(client_id)
            if known.state_json is not None:
                removals.append(AwarenessEntry(client_id, known.clock + 1, _REMOVED))
        return removals

    def expire(self, now: float) -> list[AwarenessEntry]:
        """Drop live states not renewed for :attr:`OUTDATED_TIMEOUT` seconds.

        Returns removal entries at the known clock (as y-protocols does, so a later renewal
        by the client at clock + 1 is accepted everywhere). Ownership is kept.
        """
        removals = []
        for client_id, known in self._clients.items():
            if known.state_json is not None and now - known.updated_at >= self.OUTDATED_TIMEOUT:
                known.state_json = None
                removals.append(AwarenessEntry(client_id, known.clock, _REMOVED))
        return removals

    def states(self) -> list[AwarenessEntry]:
        """Every live state (for a newcomer, or an answer to query-awareness)."""
        return [
            AwarenessEntry(client_id, known.clock, known.state_json)
            for client_id, known in self._clients.items()
            if known.state_json is not None
        ]

    def state_too_large(self, entry: AwarenessEntry) -> bool:
        """Whether ``entry`` carries a state over ``max_state_bytes`` (UTF-8)."""
        # a character is at most 4 bytes: most states are told apart without encoding them
        size = len(entry.state_json)
        return size * 4 > self.max_state_bytes and (
            size > self.max_state_bytes or len(entry.state_json.encode()) > self.max_state_bytes
        )

    def owner_of(self, client_id: int) -> Hashable | None:
        """The owner of ``client_id``, or None when no owner announced it."""
        known = self._clients.get(client_id)
        return known.owner if known is not None else None

    def owned_by(self, owner: Hashable) -> frozenset[int]:
        """Client ids owned by ``owner``."""
        return frozenset(self._owned.get(owner, ()))

    def owned_by_count(self) -> int:
        """Client ids owned by all owners together (live states and removed ones)."""
        return len(self._clients)

    def __len__(self) -> int:
        return sum(1 for known in self._clients.values() if known.state_json is not None)
