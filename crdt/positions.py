"""Relative positions in a root Y.Text: anchors that stay on their words while the text changes.

A relative position (Yjs ``RelativePosition``, pycrdt ``StickyIndex``) names the character a
position is attached to by its id — (client, clock) of the Yjs item holding it — rather than by
an offset, so edits elsewhere do not move it off its words. Encoded exactly as
``Y.encodeRelativePosition`` does, so a Yjs client can decode and resolve it too::

    varUint 0, varUint client, varUint clock   the character with this id
    varUint 1, varString name                  the start or end of the root ``name``
    varUint 2, varUint client, varUint clock   the start or end of a nested type (never made)
    varInt assoc                               >= 0: sticks to the character at the offset
                                               (AFTER), < 0: to the one before it (BEFORE)

Offsets are Unicode code points (Python ``str`` indices), the unit of ``Document.text``.

pycrdt indexes a Text by UTF-8 bytes, and its StickyIndex adds that byte offset to the clock of
the item, which counts UTF-16 units: wrong for any non-ASCII text (and resolving such a position
panics). So positions are made and resolved on a scratch pycrdt copy of the state in which
every string is replaced by as many ASCII letters as it has UTF-16 units: the same items with
the same ids and lengths, where bytes, UTF-16 units and clocks agree. The state is read through
``Document.encode_state``, so this works the same for both backends (y-py has no relative
positions of its own); it costs one copy of the document per :class:`TextPositions`, which then
makes and resolves any number of positions.
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import pycrdt

from crdt.backends._common import is_panic, parse_state_vector
from crdt.document import Document
from crdt.errors import ProtocolError, UpdateError
from crdt.lib0 import Decoder, Encoder
from crdt.update_info import RootType, read_item_content, summarize_update

__all__ = ["Assoc", "RelativePosition", "TextPositions"]

_ITEM, _ROOT, _TYPE = 0, 1, 2
_GC, _STRING, _SKIP = 0, 4, 10


class Assoc(enum.IntEnum):
    """Which neighbour a position sticks to (Yjs ``assoc``)."""

    AFTER = 0  # the character at the offset: an insert at the offset lands before the position
    BEFORE = -1  # the character before the offset: an insert at the offset lands after it


@dataclass(frozen=True)
class RelativePosition:
    """A decoded relative position: exactly one of ``item``, ``root`` and ``type_id`` is set."""

    item: tuple[int, int] | None = None  # (client, clock) of the character it sticks to
    root: str | None = None  # the start (BEFORE) or end (AFTER) of this root
    type_id: tuple[int, int] | None = None  # the start or end of the nested type with this id
    assoc: int = Assoc.AFTER

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.item, self.root, self.type_id)) != 1:
            raise ValueError("a relative position names one item, root or nested type")

    def encode(self) -> bytes:
        """The Yjs binary encoding (``Y.encodeRelativePosition``)."""
        enc = Encoder()
        if self.item is not None:
            enc.write_var_uint(_ITEM)
            enc.write_var_uint(self.item[0])
            enc.write_var_uint(self.item[1])
        elif self.root is not None:
            enc.write_var_uint(_ROOT)
            enc.write_var_string(self.root)
        else:
            assert self.type_id is not None
            enc.write_var_uint(_TYPE)
            enc.write_var_uint(self.type_id[0])
            enc.write_var_uint(self.type_id[1])
        enc.write_var_int(self.assoc)
        return enc.to_bytes()

    @classmethod
    def decode(cls, data: bytes) -> RelativePosition:
        """Decode ``Y.encodeRelativePosition`` bytes. Raises ProtocolError if malformed.

        A position encoded without the trailing assoc (Yjs before 13.5) reads as AFTER.
        """
        dec = Decoder(data)
        kind = dec.read_var_uint()
        if kind == _ITEM:
            client = dec.read_var_uint()
            found = cls(item=(client, dec.read_var_uint()))
        elif kind == _ROOT:
            found = cls(root=dec.read_var_string())
        elif kind == _TYPE:
            client = dec.read_var_uint()
            found = cls(type_id=(client, dec.read_var_uint()))
        else:
            raise ProtocolError(f"unknown relative position kind {kind}")
        if dec.has_content():
            found = cls(found.item, found.root, found.type_id, dec.read_var_int())
        if dec.has_content():
            raise ProtocolError("trailing bytes after the relative position")
        return found


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def mask_strings(update: bytes) -> bytes:
    """``update`` with every string content replaced by as many ``a`` as it has UTF-16 units.

    Everything else (ids, origins, parents, map keys, formats, the delete set) is kept byte for
    byte, so the result holds the same items with the same ids and clock lengths.

    Raises:
        UpdateError: the update is malformed.
    """
    try:
        return _mask(update)
    except UpdateError:
        raise
    except ProtocolError as exc:
        raise UpdateError(f"malformed update: {exc}") from exc


def _mask(update: bytes) -> bytes:
    dec = Decoder(update)
    out = bytearray()
    copied = 0
    for _ in range(dec.read_var_uint()):
        structs = dec.read_var_uint()
        dec.read_var_uint()  # client
        dec.read_var_uint()  # first clock
        for _ in range(structs):
            info = dec.read_uint8()
            kind = info & 0x1F
            if kind in (_GC, _SKIP):
                dec.read_var_uint()
                continue
            if info & 0x80:
                dec.read_var_uint(), dec.read_var_uint()
            if info & 0x40:
                dec.read_var_uint(), dec.read_var_uint()
            if not info & 0xC0:
                if dec.read_var_uint() == 1:
                    dec.read_var_string()
                else:
                    dec.read_var_uint(), dec.read_var_uint()
                if info & 0x20:
                    dec.read_var_string()
            if kind != _STRING:
                read_item_content(dec, kind)
                continue
            start = dec.position
            units = _utf16_length(dec.read_var_string())
            out += update[copied:start]
            masked = Encoder()
            masked.write_var_string("a" * units)
            out += masked.to_bytes()
            copied = dec.position
    dec.read_tail()  # the delete set, as it is
    out += update[copied:]
    return bytes(out)


@contextmanager
def _no_panics() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        raise UpdateError(f"the binding refused a relative position: {exc}") from exc
    except BaseException as exc:
        if is_panic(exc):
            raise UpdateError(f"the binding refused a relative position: {exc}") from exc
        raise


class _Text:
    """One root text of the snapshot: the real string and where its astral characters are."""

    def __init__(self, value: str) -> None:
        self.value = value
        # indexes of the characters that take two UTF-16 units (outside the BMP)
        self.astral = [i for i, char in enumerate(value) if ord(char) > 0xFFFF]

    def to_units(self, index: int) -> int:
        return index + bisect_left(self.astral, index)

    def from_units(self, units: int) -> int:
        """The index of the character holding UTF-16 unit ``units`` (or of the end)."""
        low, high = 0, len(self.value)
        while low < high:  # the largest index whose unit offset is <= units
            middle = (low + high + 1) // 2
            if self.to_units(middle) <= units:
                low = middle
            else:
                high = middle - 1
        return low


_EMPTY: Final = _Text("")


class TextPositions:
    """Relative positions in the root texts of one document, as it is when this is made.

    Make one per request: it holds a copy of the state (see the module docstring) and sees no
    later change of ``document``.
    """

    def __init__(self, document: Document) -> None:
        state = document.encode_state()
        self._roots: Final = summarize_update(state).root_types
        self._masked: pycrdt.Doc[Any] = pycrdt.Doc()
        with _no_panics():
            self._masked.apply_update(mask_strings(state))
        self._have = parse_state_vector(self._masked.get_state())
        self._texts = {
            name: _Text(document.text(name))
            for name, kind in self._roots.items()
            if kind is RootType.TEXT
        }

    def is_text(self, root: str) -> bool:
        """Whether ``root`` can be read as a Y.Text: a text root, a root whose content is all
        deleted (its type is unknown then), or no root at all (an empty text)."""
        return self._roots.get(root, RootType.UNKNOWN) in (RootType.TEXT, RootType.UNKNOWN)

    def text(self, root: str) -> str:
        """The root Y.Text ``root`` as a string ("" if absent).

        Raises:
            ValueError: ``root`` holds another type (a map, an array, XML).
        """
        return self._text(root).value

    def _text(self, root: str) -> _Text:
        if not self.is_text(root):
            raise ValueError(f"the root {root!r} is not a Y.Text")
        # a root of unknown type holds only deleted content; an absent one, nothing
        return self._texts.get(root, _EMPTY)

    def _masked_text(self, root: str) -> pycrdt.Text:
        with _no_panics():
            text: pycrdt.Text = self._masked.get(root, type=pycrdt.Text)
        return text

    def position(self, root: str, index: int, assoc: Assoc = Assoc.AFTER) -> bytes:
        """The encoded relative position of code point ``index`` of the root text ``root``.

        ``Assoc.AFTER`` sticks to the character at ``index`` (the end of the text when
        ``index`` is its length); ``Assoc.BEFORE`` to the one before it (the start at 0).

        Raises:
            ValueError: ``root`` is not a Y.Text root, or ``index`` is outside 0..len(text).
        """
        text = self._text(root)
        if not 0 <= index <= len(text.value):
            raise ValueError(f"index {index} outside 0..{len(text.value)}")
        if (assoc is Assoc.AFTER and index == len(text.value)) or (
            assoc is Assoc.BEFORE and index == 0
        ):
            # pycrdt panics on these; Yjs names the root itself
            return RelativePosition(root=root, assoc=assoc).encode()
        with _no_panics():
            sticky = pycrdt.StickyIndex.new(
                self._masked_text(root), text.to_units(index), pycrdt.Assoc(int(assoc))
            )
            return sticky.encode()

    def resolve(self, root: str, position: bytes) -> int | None:
        """The code point offset ``position`` points at now in the root text ``root``.

        A position on a deleted character resolves to where that character was (so a range
        whose text was all deleted resolves to an empty range). None when the position names
        something this state does not have (an item not received yet), a nested type or the
        end of another root. A character's position is resolved as one of ``root``: pass the
        root it was made in (an item never changes its parent; the binding does not check).

        Raises:
            ValueError: ``root`` is not a Y.Text root.
            ProtocolError: ``position`` is not an encoded relative position.
        """
        text = self._text(root)
        decoded = RelativePosition.decode(position)
        if decoded.root is not None:
            if decoded.root != root:
                return None
            return len(text.value) if decoded.assoc >= 0 else 0
        if decoded.item is None:
            return None  # nested types: never made here
        client, clock = decoded.item
        if clock >= self._have.get(client, 0):
            return None  # the binding would panic on an id it does not have
        with _no_panics():
            sticky = pycrdt.StickyIndex.decode(decoded.encode(), self._masked_text(root))
            units = sticky.get_index()
        return text.from_units(units)

    def resolve_range(self, root: str, start: bytes, end: bytes) -> tuple[int, int] | None:
        """Both ends of an anchor, as ``(start, end)`` with ``start <= end``; None if either
        end cannot be resolved (see :meth:`resolve`)."""
        first, last = self.resolve(root, start), self.resolve(root, end)
        if first is None or last is None:
            return None
        return first, max(first, last)
