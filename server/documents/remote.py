"""What a document's copy on this node holds of other nodes' updates.

`Unnumbered`: the updates another node accepted and relayed here before storing them, until
their sequence numbers come; should that node leave the bus first, they are its orphans, and
this node stores those SQL lacks (server/documents/crossnode.py).

`TurnRelay`: the updates from other nodes applied in one event-loop turn, relayed at its end
as one merged update (one frame per connection instead of many); one alone goes as the very
bytes received.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

from crdt.document import merge_for_relay
from crdt.errors import UpdateError

log = logging.getLogger(__name__)


class Unnumbered:
    """Other nodes' updates applied here whose number has not come, by (node, the node's
    running number for it): when each arrived, and its bytes."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[bytes, int], tuple[float, bytes]] = {}
        self._by_bytes: dict[bytes, tuple[bytes, int]] = {}  # the same update read from SQL

    def __bool__(self) -> bool:
        return bool(self._waiting)

    def add(self, node: bytes, local: int, update: bytes) -> None:
        self._waiting[(node, local)] = (time.monotonic(), update)
        self._by_bytes[update] = (node, local)

    def numbered(self, node: bytes, local: int) -> bool:
        """The update's number came: stop waiting. False if it was not waited for."""
        return self._pop((node, local)) is not None

    def read_back(self, update: bytes) -> bool:
        """These bytes were read from SQL with their number before the number came over the
        bus: stop waiting. False if no such update waits (it is new here)."""
        key = self._by_bytes.get(update)
        return key is not None and self._pop(key) is not None

    def _pop(self, key: tuple[bytes, int]) -> bytes | None:
        entry = self._waiting.pop(key, None)
        if entry is None:
            return None
        if self._by_bytes.get(entry[1]) == key:
            del self._by_bytes[entry[1]]
        return entry[1]

    def forget(self, older_than: float) -> None:
        """Stop waiting for numbers that never came (lost; SQL has filled them in since)."""
        for key, (arrived, _) in list(self._waiting.items()):
            if arrived < older_than:
                self._pop(key)

    def senders(self, arrived_before: float) -> set[bytes]:
        """The nodes whose updates, applied here before ``arrived_before``, still wait."""
        return {
            node for (node, _), (arrived, _) in self._waiting.items() if arrived < arrived_before
        }

    def orphans(self, gone: Collection[bytes] | None, arrived_before: float) -> list[bytes]:
        """Take the updates that arrived before ``arrived_before`` from the nodes in ``gone``
        (None: from every node): they may have died before storing them, and this copy's
        clients will not send them again (it holds them). The caller stores those that SQL
        lacks."""
        taken = []
        for key, (arrived, update) in list(self._waiting.items()):
            if (gone is None or key[0] in gone) and arrived < arrived_before:
                self._pop(key)
                taken.append(update)
        return taken

    def clear(self) -> None:
        self._waiting.clear()
        self._by_bytes.clear()


Queued = tuple[object | None, bytes, bytes | None]  # (source, update, frame as received)


class TurnRelay:
    """Relays a document's updates at the end of the event-loop turn that applied them.

    Under load several updates arrive in one turn: from one writer in one read, or from other
    nodes in one bus message. Each run of consecutive updates from the same source is merged
    into one update (one frame per connection instead of many) and relayed to every
    connection but that source; an update alone goes as the very bytes received. Runs from
    different sources stay apart and in order, so no writer gets its own updates back.
    """

    def __init__(
        self,
        relay: Callable[[bytes, bytes | None, object | None], None],
        name: str,
        at_turn_end: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        # relay(update, the frame as received or None, the source to leave out or None)
        self._relay = relay
        self._name = name
        self._at_turn_end = at_turn_end
        self._queued: list[Queued] = []

    def add(self, update: bytes, *, frame: bytes | None = None, source: object = None) -> None:
        self._queued.append((source, update, frame))
        if len(self._queued) == 1:
            if self._at_turn_end is not None:
                self._at_turn_end(self._flush)
            else:
                asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        queued, self._queued = self._queued, []
        start = 0
        while start < len(queued):
            source = queued[start][0]
            end = start + 1
            while end < len(queued) and queued[end][0] is source:
                end += 1
            self._relay_run(queued[start:end], source)
            start = end

    def _relay_run(
        self, run: list[tuple[object | None, bytes, bytes | None]], source: object
    ) -> None:
        if len(run) > 1:
            try:
                self._relay(merge_for_relay([update for _, update, _ in run]), None, source)
                return
            except UpdateError:  # applied, so mergeable; should it happen, relay one by one
                log.exception("document %r: updates cannot be merged for relaying", self._name)
        for _, update, frame in run:
            self._relay(update, frame, source)
