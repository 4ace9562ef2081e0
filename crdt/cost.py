"""An upper bound on the work of integrating a Yjs update, read before applying it.

Yjs and Yrs integrate an item by scanning, from its left origin towards its right origin, the
items inserted concurrently at the same place (YATA's conflict loop). An item whose left origin
is its own client's previous item (typing on) scans only the items inserted concurrently
right after that item, once: the next item of the run has the first as its origin, which
nothing else does. Every other item -- an *insertion point* -- may scan up to every item of the
document. So integrating an update costs at most
``insertion_points x (document items + update items) + update items`` steps, plus the one-off
scans of chained items, which together never exceed the items inserted concurrently after their
predecessors -- items that were themselves insertion points, and paid for then.

The bound is loose for ordinary edits and tight for hostile ones: two clients that each
insert 8,000 one-character items at position 0, sent as two updates, cost ~64 million steps
(4.7 s with pycrdt 0.14 on the reference machine), and the bound says 128 million: ~37 ns
per step of the bound. A live edit has one or a few insertion points, so it stays far below
the server's inline limit (docs/crdt-isolation.md) even in a document of 100,000 items.
"""

from __future__ import annotations

from .errors import ProtocolError
from .lib0 import Decoder
from .update_info import UpdateSummary

__all__ = ["DELETE_SPLITS", "added_items", "declared_structs", "integration_steps"]

# A deleted range can split the items at both of its ends.
DELETE_SPLITS = 2


def integration_steps(summary: UpdateSummary, document_items: int) -> int:
    """The most scan steps integrating an update summarised as ``summary`` can take in a
    document holding ``document_items`` items."""
    return summary.insertion_points * (document_items + summary.items) + summary.items


def added_items(summary: UpdateSummary) -> int:
    """How many items an update can add to a document (its items and the splits its
    deletions can make)."""
    ranges = sum(len(spans) for spans in summary.deleted.values())
    return summary.items + DELETE_SPLITS * ranges


def declared_structs(frame: bytes) -> int | None:
    """The number of structs a sync update or step-2 frame declares, read from its first bytes
    without parsing it: known when the update holds one client's structs (a live edit), else
    None (several clients, or a frame too short to tell)."""
    decoder = Decoder(frame)
    try:
        decoder.read_var_uint()  # message type
        decoder.read_var_uint()  # sync step 2 or update
        decoder.read_var_uint()  # the update's length
        if decoder.read_var_uint() != 1:  # clients
            return None
        return decoder.read_var_uint()
    except ProtocolError:
        return None
