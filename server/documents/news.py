"""What one node tells the others about a document it serves, and its bytes on the bus.

An update travels as soon as the node accepted it (`UpdateNews`, with the node's own running
number for it), so other nodes relay it without waiting for the database; once it is stored,
a small `NumberedNews` gives the sequence number the database took for it. Awareness travels
as the y-protocols awareness payload. The bus adds the sending node's id (storage.bus).

An update a connection sent travels with what the accepting node's validation found (the
items it added and its main client: crdt's `Validated`), so the other nodes integrate it
without parsing it again in Python; an update made by the server itself travels bare and is
validated where it arrives.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from dataclasses import dataclass

from crdt.document import Validated

_UPDATE = b"U"
_VALIDATED = b"V"  # an update with what its validation found
_NUMBERED = b"N"
_AWARENESS = b"A"
_FREEZE = b"F"
_THAW = b"T"
_FROZEN = b"K"
REQUEST_BYTES = 16
_SEQ = struct.Struct(">Q")
_FOUND = struct.Struct(">Qq")  # added items, main client (-1: none)
MAX_RUN = 65_535  # the most numbers one NumberedNews gives (a commit holds 500 at most)


@dataclass(frozen=True, slots=True)
class UpdateNews:
    """An update the sending node accepted, as its ``local``-th of this document; with
    ``validated``, what the sending node's validation found."""

    local: int
    update: bytes
    validated: Validated | None = None


@dataclass(frozen=True, slots=True)
class NumberedNews:
    """The sending node's ``local``-th update is stored as ``seq``, and the ``count - 1``
    updates it accepted next as the numbers after it."""

    local: int
    seq: int
    count: int = 1


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


DocumentNews = UpdateNews | NumberedNews | AwarenessNews | FreezeNews | FrozenNews


class BadNews(ValueError):
    """Bytes from the bus that are no document news (another version's, or damaged)."""


def encode_news(news: DocumentNews) -> bytes:
    if isinstance(news, UpdateNews):
        found = news.validated
        if found is not None:
            client = -1 if found.primary_client is None else found.primary_client
            head = _VALIDATED + _SEQ.pack(news.local) + _FOUND.pack(found.added_items, client)
            return head + news.update
        return _UPDATE + _SEQ.pack(news.local) + news.update
    if isinstance(news, NumberedNews):
        head = _NUMBERED + _SEQ.pack(news.local) + _SEQ.pack(news.seq)
        # one number alone goes as nodes of the version before read it
        return head if news.count == 1 else head + _SEQ.pack(news.count)
    if isinstance(news, AwarenessNews):
        return _AWARENESS + news.payload
    if isinstance(news, FreezeNews):
        return (_FREEZE if news.freeze else _THAW) + news.request
    return _FROZEN + news.request


def decode_news(data: bytes) -> DocumentNews:
    """Raises BadNews."""
    kind = data[:1]
    if kind == _UPDATE and len(data) > 1 + _SEQ.size:
        (local,) = _SEQ.unpack_from(data, 1)
        return UpdateNews(local, data[1 + _SEQ.size :])
    if kind == _VALIDATED and len(data) > 1 + _SEQ.size + _FOUND.size:
        (local,) = _SEQ.unpack_from(data, 1)
        added, client = _FOUND.unpack_from(data, 1 + _SEQ.size)
        found = Validated(added, None if client < 0 else client)
        return UpdateNews(local, data[1 + _SEQ.size + _FOUND.size :], found)
    if kind == _NUMBERED and len(data) in (1 + 2 * _SEQ.size, 1 + 3 * _SEQ.size):
        local, seq = _SEQ.unpack_from(data, 1)[0], _SEQ.unpack_from(data, 1 + _SEQ.size)[0]
        count = _SEQ.unpack_from(data, 1 + 2 * _SEQ.size)[0] if len(data) > 17 else 1
        if 1 <= count <= MAX_RUN:
            return NumberedNews(local, seq, count)
    if kind == _AWARENESS and len(data) > 1:
        return AwarenessNews(data[1:])
    if kind in (_FREEZE, _THAW) and len(data) == 1 + REQUEST_BYTES:
        return FreezeNews(data[1:], kind == _FREEZE)
    if kind == _FROZEN and len(data) == 1 + REQUEST_BYTES:
        return FrozenNews(data[1:])
    raise BadNews(f"not document news: {data[:16]!r}")


class NumberedRuns:
    """A node's own updates' numbers, told in runs: the updates one commit stored for a
    document have consecutive running numbers and consecutive sequence numbers, so a run of
    them is one `NumberedNews`, told at the end of the event-loop turn that learnt them (or
    before any other news of the document, so that the news keep their order). One message
    per commit for the other nodes to read instead of one per update."""

    def __init__(self, tell: Callable[[DocumentNews], None]) -> None:
        self._tell = tell
        self._run: list[int] | None = None  # first running number, first seq, count
        self._due = False  # a flush is scheduled at the end of this turn

    def add(self, local: int, seq: int) -> None:
        run = self._run
        if run is not None and (local, seq) == (run[0] + run[2], run[1] + run[2]):
            run[2] += 1
            if run[2] == MAX_RUN:
                self.flush()
            return
        self.flush()
        self._run = [local, seq, 1]
        if not self._due:
            self._due = True
            asyncio.get_running_loop().call_soon(self._turn_ended)

    def flush(self) -> None:
        """Tell the run gathered so far, if any."""
        if self._run is not None:
            local, seq, count = self._run
            self._run = None
            self._tell(NumberedNews(local, seq, count))

    def _turn_ended(self) -> None:
        self._due = False
        self.flush()
