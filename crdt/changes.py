"""What an update would change in a document, told without applying it.

A fork of a document is merged back by applying ``fork.encode_state(state_vector_at_fork)``
to the base: every item the fork made since, and the fork's whole delete set. Applying it a
second time changes nothing (Yjs skips the items it has and deletes what is deleted already),
but the bytes are not empty; :func:`would_change` tells such a no-op apart before it is
logged or relayed.
"""

from __future__ import annotations

from collections.abc import Iterable

from crdt.backends._common import parse_state_vector
from crdt.document import Document
from crdt.update_info import summarize_update

__all__ = ["would_change"]


def _merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Clock ranges ``(clock, length)`` as sorted, disjoint ``(start, end)`` intervals."""
    intervals: list[tuple[int, int]] = []
    for start, end in sorted((clock, clock + length) for clock, length in ranges if length > 0):
        if intervals and start <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], end))
        else:
            intervals.append((start, end))
    return intervals


def _covered(start: int, end: int, intervals: list[tuple[int, int]]) -> bool:
    return any(low <= start and end <= high for low, high in intervals)


def would_change(document: Document, update: bytes) -> bool:
    """Whether applying ``update`` would add an item to ``document`` or delete one of its items.

    New items are those past the document's state vector; deletions count only for items the
    document has and has not deleted yet (deleting an item neither has is not a change). Reads
    the document's delete set from its encoded state: O(document).

    Raises:
        UpdateError: ``update`` is malformed.
    """
    summary = summarize_update(update)
    have = parse_state_vector(document.state_vector())
    if any(end > have.get(client, 0) for client, (_first, end) in summary.clients.items()):
        return True
    if not any(summary.deleted.values()):
        return False
    deleted = summarize_update(document.encode_state()).deleted
    for client, ranges in summary.deleted.items():
        known = _merged(deleted.get(client, ()))
        limit = have.get(client, 0)
        for start, end in _merged(ranges):
            end = min(end, limit)  # deleting what the document lacks changes nothing in it
            if start < end and not _covered(start, end, known):
                return True
    return False
