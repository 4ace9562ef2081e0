"""One client connection to a live document."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

from crdt.document import Document
from crdt.messages import SavedNotice, encode_message
from crdt.session import Role, SyncSession
from server.closecodes import CloseCode
from server.documents.isolation import CpuAccount
from server.wire import encode_binary_frame

_ids = itertools.count(1)


class Channel(Protocol):
    """The transport end of a connection, as the document sees it."""

    def send_wire(self, wire: bytes) -> bool:
        """Write an encoded WebSocket frame; False once the peer is too far behind to keep."""
        ...

    def close(self, code: CloseCode, reason: str) -> None: ...

    def keepalive(self, now: float) -> None:
        """Called every few seconds: ping a quiet peer, drop one that stopped answering."""
        ...


@dataclass(frozen=True, slots=True)
class Access:
    """Who a connection acts as and what it may do (decided in server/documents/admission.py).

    ``author`` (the user's name) is what the update log records. ``session_id`` or
    ``api_token_id`` is the credential the connection came with, and ``room_id`` the room of
    the document (None: a document outside rooms); the periodic review re-checks them.
    """

    author: str | None
    can_write: bool = True
    user_id: int | None = None
    session_id: str | None = None
    api_token_id: int | None = None
    room_id: int | None = None
    document_id: int | None = None  # a room document's id (its proposal may freeze it)


class TokenBucket:
    """Rate limit for write messages: `rate` per second with bursts of `burst`."""

    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._stamp = time.monotonic()

    def delay(self) -> float:
        """Take one token; return how long to wait before it may be used (0 if at once)."""
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self._rate

    def refund(self) -> None:
        """Give back the token of a write that was refused rather than delayed."""
        self._tokens = min(self._burst, self._tokens + 1.0)

    def full(self, now: float) -> bool:
        """Whether the bucket has refilled: it then holds nothing a new one would not."""
        return self._tokens + (now - self._stamp) * self._rate >= self._burst


class BucketTable:
    """Token buckets by key (a room and a member), dropped once they have refilled.

    A full bucket carries no information, so the table is swept of them whenever it has
    doubled since the last sweep or a minute has passed: it holds only the keys that wrote
    recently, however many members have ever written."""

    SWEEP_SECONDS = 60.0

    def __init__(self, rate: float, burst: int, *, floor: int = 64) -> None:
        self._rate, self._burst, self._floor = rate, burst, floor
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._swept_at, self._swept_size = time.monotonic(), 0

    def __len__(self) -> int:
        return len(self._buckets)

    def delay(self, key: Hashable) -> tuple[float, TokenBucket]:
        """Take one token of ``key``'s bucket: the wait (0: at once) and the bucket."""
        bucket = self._buckets.get(key)
        if bucket is None:
            now = time.monotonic()
            if len(self._buckets) >= max(self._floor, 2 * self._swept_size) or (
                now - self._swept_at >= self.SWEEP_SECONDS
            ):
                self.sweep(now)
            bucket = self._buckets[key] = TokenBucket(self._rate, self._burst)
        return bucket.delay(), bucket

    def sweep(self, now: float) -> None:
        self._buckets = {k: b for k, b in self._buckets.items() if not b.full(now)}
        self._swept_at, self._swept_size = now, len(self._buckets)


class DocumentConnection:
    """A connection's state: its sync session, its channel and what it may do.

    Counting: every write message (sync step 2 or update) the connection sends is numbered;
    `acknowledged` is how many of them are durable, which the *saved* notice reports.
    """

    __slots__ = (
        "access",
        "acknowledged",
        "acknowledged_seq",
        "bucket",
        "channel",
        "close_code",
        "cpu",
        "id",
        "last_commit",
        "session",
        "wants_saved_notices",
        "writes_received",
    )

    def __init__(
        self,
        document: Document,
        access: Access,
        channel: Channel,
        bucket: TokenBucket,
        cpu: CpuAccount | None = None,
    ) -> None:
        self.id = next(_ids)
        self.cpu = cpu if cpu is not None else CpuAccount(3.0)  # sandbox time it may cause
        self.access = access
        self.channel = channel
        self.bucket = bucket
        self.session = SyncSession(document, Role.SERVER, writable=access.can_write)
        self.writes_received = 0
        self.acknowledged = 0
        self.acknowledged_seq = 0
        self.last_commit: asyncio.Future[int] | None = None
        self.wants_saved_notices = False
        self.close_code: CloseCode | None = None

    def __repr__(self) -> str:
        return f"<DocumentConnection {self.id} author={self.access.author!r}>"

    def send(self, frame: bytes) -> bool:
        """Send one message to this connection alone."""
        return self.close_code is not None or self.channel.send_wire(encode_binary_frame(frame))

    def send_wire(self, wire: bytes) -> bool:
        """Send a frame already encoded for the wire (the same bytes go to every receiver)."""
        return self.close_code is not None or self.channel.send_wire(wire)

    def flush_session(self) -> bool:
        """Send the session's pending frames; False on overflow."""
        return all(self.send(frame) for frame in self.session.data_to_send())

    def grant(self, access: Access) -> None:
        """Change what the connection may do (the access review found a new role)."""
        self.access = access
        self.session.writable = access.can_write

    def close(self, code: CloseCode, reason: str) -> None:
        if self.close_code is None:
            self.close_code = code
            self.channel.close(code, reason)

    def close_slow(self) -> None:
        """Close a connection whose outgoing queue overflowed."""
        self.close(CloseCode.SLOW_READER, "too slow to read; reconnect to resync")

    def count_write(self, commit: asyncio.Future[int] | None) -> None:
        """Number a write message; acknowledge it once it (if it changed nothing: the last
        write before it) is durable. ``commit``: the commit of the update it carried."""
        self.writes_received += 1
        number = self.writes_received
        if commit is not None:
            self.last_commit = commit
        pending = self.last_commit
        if pending is None or pending.done():
            self._acknowledge(number, pending)
        else:
            pending.add_done_callback(lambda done: self._acknowledge(number, done))

    def _acknowledge(self, number: int, commit: asyncio.Future[int] | None) -> None:
        if commit is not None and (commit.cancelled() or commit.exception() is not None):
            return
        if number > self.acknowledged:
            self.acknowledged = number
            if commit is not None:
                self.acknowledged_seq = commit.result()
            self.notify_saved()

    def notify_saved(self) -> None:
        """Send the saved notice, if the client asked for them."""
        if not self.wants_saved_notices or self.close_code is not None:
            return
        notice = SavedNotice(acknowledged=self.acknowledged, seq=self.acknowledged_seq)
        if not self.send(encode_message(notice)):
            self.close_slow()
