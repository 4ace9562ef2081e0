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

    def __bool__(self) -> bool:
        return bool(self._waiting)

    def add(self, node: bytes, local: int, update: bytes) -> None:
        self._waiting[(node, local)] = (time.monotonic(), update)

    def numbered(self, node: bytes, local: int) -> bool:
        """The update's number came: stop waiting. False if it was not waited for."""
        return self._waiting.pop((node, local), None) is not None

    def forget(self, older_than: float) -> None:
        """Stop waiting for numbers that never came (lost; SQL has filled them in since)."""
        for key, (arrived, _) in list(self._waiting.items()):
            if arrived < older_than:
                del self._waiting[key]

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
                del self._waiting[key]
                taken.append(update)
        return taken

    def clear(self) -> None:
        self._waiting.clear()


class TurnRelay:
    """Relays other nodes' updates at the end of the event-loop turn that applied them."""

    def __init__(self, relay: Callable[[bytes], None], name: str) -> None:
        self._relay = relay  # sends one update to every connection of the document
        self._name = name
        self._updates: list[bytes] = []

    def add(self, update: bytes) -> None:
        self._updates.append(update)
        if len(self._updates) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        updates, self._updates = self._updates, []
        if len(updates) > 1:
            try:
                updates = [merge_for_relay(updates)]
            except UpdateError:  # applied, so mergeable; should it happen, relay one by one
                log.exception("document %r: updates from other nodes cannot be merged", self._name)
        for update in updates:
            self._relay(update)
