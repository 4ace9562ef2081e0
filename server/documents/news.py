"""What one node tells the others about a document it serves, and its bytes on the bus.

A stored update travels with the sequence number the database gave it; awareness travels as
the y-protocols awareness payload. The bus adds the sending node's id (storage.bus).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_UPDATE = b"U"
_AWARENESS = b"A"
_SEQ = struct.Struct(">Q")


@dataclass(frozen=True, slots=True)
class UpdateNews:
    seq: int
    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessNews:
    payload: bytes


DocumentNews = UpdateNews | AwarenessNews


class BadNews(ValueError):
    """Bytes from the bus that are no document news (another version's, or damaged)."""


def encode_news(news: DocumentNews) -> bytes:
    if isinstance(news, UpdateNews):
        return _UPDATE + _SEQ.pack(news.seq) + news.update
    return _AWARENESS + news.payload


def decode_news(data: bytes) -> DocumentNews:
    """Raises BadNews."""
    kind = data[:1]
    if kind == _UPDATE and len(data) > 1 + _SEQ.size:
        (seq,) = _SEQ.unpack_from(data, 1)
        return UpdateNews(seq, data[1 + _SEQ.size :])
    if kind == _AWARENESS and len(data) > 1:
        return AwarenessNews(data[1:])
    raise BadNews(f"not document news: {data[:16]!r}")
