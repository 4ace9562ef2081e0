"""What one node tells the others about a document it serves, and its bytes on the bus.

A stored update travels with the sequence number the database gave it; awareness travels as
the y-protocols awareness payload. The bus adds the sending node's id (storage.bus).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_UPDATE = b"U"
_AWARENESS = b"A"
_FREEZE = b"F"
_THAW = b"T"
_FROZEN = b"K"
REQUEST_BYTES = 16
_SEQ = struct.Struct(">Q")


@dataclass(frozen=True, slots=True)
class UpdateNews:
    seq: int
    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessNews:
    payload: bytes


@dataclass(frozen=True, slots=True)
class FreezeNews:
    """Make the document read-only here and answer `FrozenNews` once its writes are stored
    (``freeze``), or make it writable again (not ``freeze``)."""

    request: bytes
    freeze: bool


@dataclass(frozen=True, slots=True)
class FrozenNews:
    """This node froze the document for ``request``: everything it accepted is stored."""

    request: bytes


DocumentNews = UpdateNews | AwarenessNews | FreezeNews | FrozenNews


class BadNews(ValueError):
    """Bytes from the bus that are no document news (another version's, or damaged)."""


def encode_news(news: DocumentNews) -> bytes:
    if isinstance(news, UpdateNews):
        return _UPDATE + _SEQ.pack(news.seq) + news.update
    if isinstance(news, AwarenessNews):
        return _AWARENESS + news.payload
    if isinstance(news, FreezeNews):
        return (_FREEZE if news.freeze else _THAW) + news.request
    return _FROZEN + news.request


def decode_news(data: bytes) -> DocumentNews:
    """Raises BadNews."""
    kind = data[:1]
    if kind == _UPDATE and len(data) > 1 + _SEQ.size:
        (seq,) = _SEQ.unpack_from(data, 1)
        return UpdateNews(seq, data[1 + _SEQ.size :])
    if kind == _AWARENESS and len(data) > 1:
        return AwarenessNews(data[1:])
    if kind in (_FREEZE, _THAW) and len(data) == 1 + REQUEST_BYTES:
        return FreezeNews(data[1:], kind == _FREEZE)
    if kind == _FROZEN and len(data) == 1 + REQUEST_BYTES:
        return FrozenNews(data[1:])
    raise BadNews(f"not document news: {data[:16]!r}")
