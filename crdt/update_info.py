"""Read a Yjs v1 update without applying it.

Layout of a v1 update: a varUint number of client blocks, each with a varUint struct count,
varUint client id, varUint first clock and the structs; then the delete set (varUint client
count, each with a varUint client id, varUint range count and varUint clock/length pairs).
A struct starts with an info byte: its low 5 bits are the content kind (0 GC, 10 Skip,
otherwise an item); bit 0x80 says a left origin id follows, 0x40 a right origin id; with
neither, the parent follows (varUint 1 + root name, or varUint 0 + an item id) and, if bit
0x20 is set, a map key (parentSub).

Root types are inferred from the items whose parent is a root (named directly, or inherited
from the origin item when both are in this update): a map key means MAP; string, format or
embed content means TEXT; an XmlElement/XmlText/XmlHook means XML_FRAGMENT; other content
(any, JSON, binary, a nested type, a subdocument) means ARRAY. Deleted content says nothing.
When items of one root disagree, TEXT beats XML_FRAGMENT, which beats ARRAY, which beats MAP.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Final

from .errors import ProtocolError, UpdateError
from .lib0 import Decoder

__all__ = ["RootType", "UpdateSummary", "read_item_content", "summarize_update"]


class RootType(StrEnum):
    """The shared type of a document root, as inferred from an update."""

    TEXT = "text"
    MAP = "map"
    ARRAY = "array"
    XML_FRAGMENT = "xml_fragment"
    UNKNOWN = "unknown"


_PRIORITY: Final = {
    RootType.UNKNOWN: 0,
    RootType.MAP: 1,
    RootType.ARRAY: 2,
    RootType.XML_FRAGMENT: 3,
    RootType.TEXT: 4,
}

# Content kinds (low 5 bits of the info byte).
_GC, _DELETED, _JSON, _BINARY, _STRING, _EMBED, _FORMAT, _TYPE, _ANY, _DOC, _SKIP = range(11)
# Type refs of nested types; XmlElement and XmlHook carry a name.
_XML_ELEMENT, _XML_HOOK, _XML_TEXT, _MAX_TYPE_REF = 3, 5, 6, 6


@dataclass(frozen=True)
class UpdateSummary:
    """What a Yjs v1 update contains.

    Attributes:
        clients: client id -> (first clock, end clock exclusive) of the structs.
        deleted: the delete set: client id -> [(clock, length)].
        root_types: roots this update's items name as parent, with the inferred type.
        struct_counts: client id -> number of structs (GC and items, not skips).
        parent_ids: ids of the items named as parent by id (nested types being edited).
        type_ids: ids of the items whose content is a nested type.
        references: every id the items refer to (origins, right origins, parents).
        items: number of items (not GC structs or skips).
        insertion_points: items not chained to their own client's previous item (their left
            origin is not that item's last id): each one starts a conflict scan in Yjs/Yrs
            integration, whose length is bounded by the document's size (crdt/cost.py).
    """

    clients: dict[int, tuple[int, int]]
    deleted: dict[int, list[tuple[int, int]]]
    root_types: dict[str, RootType]
    struct_counts: dict[int, int] = field(default_factory=dict)
    parent_ids: frozenset[tuple[int, int]] = frozenset()
    type_ids: frozenset[tuple[int, int]] = frozenset()
    references: frozenset[tuple[int, int]] = frozenset()
    items: int = 0
    insertion_points: int = 0

    @property
    def is_empty(self) -> bool:
        """No structs and no deletions (e.g. ``b"\\x00\\x00"``)."""
        return not self.clients and not any(self.deleted.values())

    @property
    def primary_client(self) -> int | None:
        """The client id with the most structs (first in the update on a tie), or None."""
        if not self.struct_counts:
            return None
        return max(self.struct_counts, key=self.struct_counts.__getitem__)


class _Nested:
    """Marker owner: the item's parent is a nested type, not a root."""


_NESTED: Final = _Nested()  # also used for items whose parent cannot be found
_VISITING: Final = _Nested()  # on the origin chain being resolved
_Owner = str | _Nested | None


@dataclass(slots=True)
class _Item:
    start: int
    end: int
    owner: _Owner  # root name, a marker, or None (inherited from an origin)
    has_sub: bool
    evidence: RootType
    origin: tuple[int, int] | None
    right_origin: tuple[int, int] | None
    parent_id: tuple[int, int] | None
    is_type: bool


def _read_json(dec: Decoder, *, allow_undefined: bool = False) -> None:
    text = dec.read_var_string()
    if allow_undefined and text == "undefined":
        return
    try:
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UpdateError("invalid JSON in item content") from exc


def _read_content(dec: Decoder, kind: int) -> tuple[int, RootType]:
    """Skip over item content; return its clock length and the root type it suggests."""
    if kind == _STRING:
        text = dec.read_var_string()
        return len(text.encode("utf-16-le", "surrogatepass")) // 2, RootType.TEXT
    if kind == _ANY:
        count = dec.read_var_uint()
        for _ in range(count):
            dec.read_any()
        return count, RootType.ARRAY
    if kind == _DELETED:
        return dec.read_var_uint(), RootType.UNKNOWN
    if kind == _TYPE:
        ref = dec.read_var_uint()
        if ref > _MAX_TYPE_REF:
            raise UpdateError(f"unknown type ref {ref}")
        if ref in (_XML_ELEMENT, _XML_HOOK):
            dec.read_var_string()
        xml = ref in (_XML_ELEMENT, _XML_HOOK, _XML_TEXT)
        return 1, RootType.XML_FRAGMENT if xml else RootType.ARRAY
    if kind == _FORMAT:
        dec.read_var_string()
        _read_json(dec)
        return 1, RootType.TEXT
    if kind == _EMBED:
        _read_json(dec)
        return 1, RootType.TEXT
    if kind == _JSON:
        count = dec.read_var_uint()
        for _ in range(count):
            _read_json(dec, allow_undefined=True)
        return count, RootType.ARRAY
    if kind == _BINARY:
        dec.read_var_uint8_array()
        return 1, RootType.ARRAY
    if kind == _DOC:
        dec.read_var_string()
        dec.read_any()
        return 1, RootType.ARRAY
    raise UpdateError(f"unknown item content kind {kind}")


def read_item_content(dec: Decoder, kind: int) -> int:
    """Read past the content of an item of content ``kind`` (the info byte's low 5 bits);
    return its clock length. Raises ProtocolError (or UpdateError) if malformed."""
    return _read_content(dec, kind)[0]


def summarize_update(update: bytes) -> UpdateSummary:
    """Summarise a Yjs v1 update (see the module docstring for the inference rule).

    The whole update is parsed, strictly (trailing bytes are an error), so an update this
    accepts is well-formed.

    Raises:
        UpdateError: the update is malformed.
    """
    try:
        return _summarize(Decoder(update))
    except UpdateError:
        raise
    except ProtocolError as exc:
        raise UpdateError(f"malformed update: {exc}") from exc


def _summarize(dec: Decoder) -> UpdateSummary:
    clients: dict[int, tuple[int, int]] = {}
    counts: dict[int, int] = {}
    items: dict[int, list[_Item]] = {}
    n_items = insertion_points = 0
    for _ in range(dec.read_var_uint()):
        n_structs = dec.read_var_uint()
        client = dec.read_var_uint()
        clock = dec.read_var_uint()
        first = last = -1
        count = 0
        for _ in range(n_structs):
            info = dec.read_uint8()
            kind = info & 0x1F
            start = clock
            if kind == _SKIP:
                clock += dec.read_var_uint()
                continue
            if kind == _GC:
                clock += dec.read_var_uint()
            else:
                item = _read_item(dec, info, kind, client, start)
                items.setdefault(client, []).append(item)
                n_items += 1
                if item.origin != (client, start - 1):
                    insertion_points += 1
                clock = item.end
            if first < 0:
                first = start
            last = clock
            count += 1
        if count:
            counts[client] = counts.get(client, 0) + count
            prev = clients.get(client, (first, last))
            clients[client] = (min(prev[0], first), max(prev[1], last))
    deleted = _read_delete_set(dec)
    if dec.has_content():
        raise UpdateError("trailing bytes after the update")
    parent_ids = frozenset(
        item.parent_id for seq in items.values() for item in seq if item.parent_id is not None
    )
    type_ids = frozenset(
        (client, item.start) for client, seq in items.items() for item in seq if item.is_type
    )
    references = frozenset(
        ref
        for seq in items.values()
        for item in seq
        for ref in (item.origin, item.right_origin, item.parent_id)
        if ref is not None
    )
    roots = _infer_roots(items)
    return UpdateSummary(
        clients,
        deleted,
        roots,
        counts,
        parent_ids,
        type_ids,
        references,
        n_items,
        insertion_points,
    )


def _read_id(dec: Decoder) -> tuple[int, int]:
    client = dec.read_var_uint()
    return client, dec.read_var_uint()


def _read_item(dec: Decoder, info: int, kind: int, client: int, start: int) -> _Item:
    origin = _read_id(dec) if info & 0x80 else None
    right_origin = _read_id(dec) if info & 0x40 else None
    owner: _Owner = None
    parent_id = None
    has_sub = False
    if not info & 0xC0:
        if dec.read_var_uint() == 1:
            owner = dec.read_var_string()
        else:
            parent_id = _read_id(dec)
            owner = _NESTED
        if info & 0x20:
            dec.read_var_string()
            has_sub = True
    for ref in (origin, right_origin, parent_id):
        if ref is not None and ref[0] == client and ref[1] >= start:
            # Yjs takes a reference to its own client as already integrated.
            raise UpdateError(f"item {client}#{start} refers to its own client's future")
    length, evidence = _read_content(dec, kind)
    return _Item(
        start,
        start + length,
        owner,
        has_sub,
        evidence,
        origin,
        right_origin,
        parent_id,
        kind == _TYPE,
    )


def _read_delete_set(dec: Decoder) -> dict[int, list[tuple[int, int]]]:
    deleted: dict[int, list[tuple[int, int]]] = {}
    for _ in range(dec.read_var_uint()):
        client = dec.read_var_uint()
        ranges = deleted.setdefault(client, [])
        for _ in range(dec.read_var_uint()):
            clock = dec.read_var_uint()
            ranges.append((clock, dec.read_var_uint()))
    return deleted


def _infer_roots(items: dict[int, list[_Item]]) -> dict[str, RootType]:
    for seq in items.values():
        if any(a.start > b.start for a, b in pairwise(seq)):
            seq.sort(key=lambda item: item.start)
    starts = {client: [item.start for item in seq] for client, seq in items.items()}

    def find(ref: tuple[int, int] | None) -> _Item | None:
        if ref is None or ref[0] not in items:
            return None
        seq = items[ref[0]]
        i = bisect_right(starts[ref[0]], ref[1]) - 1
        return seq[i] if i >= 0 and ref[1] < seq[i].end else None

    roots: dict[str, RootType] = {}
    for seq in items.values():
        for item in seq:
            if item.owner is None:
                _inherit(item, find)
            if isinstance(item.owner, str):
                evidence = RootType.MAP if item.has_sub else item.evidence
                known = roots.get(item.owner, RootType.UNKNOWN)
                roots[item.owner] = max(known, evidence, key=_PRIORITY.__getitem__)
    return roots


def _inherit(item: _Item, find: Callable[[tuple[int, int] | None], _Item | None]) -> None:
    """Give ``item`` (and every item on its origin chain) the parent of the chain's end."""
    path = []
    current: _Item | None = item
    while current is not None and current.owner is None:
        path.append(current)
        current.owner = _VISITING
        current = find(current.origin) or find(current.right_origin)
    if current is None or current.owner is _VISITING:
        owner: _Owner = _NESTED  # a dead end or a cycle: no root can be named
        has_sub = False
    else:
        owner, has_sub = current.owner, current.has_sub
    for step in path:
        step.owner, step.has_sub = owner, has_sub


def root_types(state: bytes) -> dict[str, RootType]:
    """The roots a document's state (a v1 update) names, each with its inferred type: a
    parse of every item in Python, free of any native document (any thread may run it).

    Raises UpdateError when ``state`` is malformed.
    """
    return summarize_update(state).root_types
