"""One client connection to a live document."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass

from crdt.document import Document
from crdt.session import Role, SyncSession
from server.closecodes import CloseCode
from server.documents.outbox import Outbox

_ids = itertools.count(1)
_URGENT = frozenset({CloseCode.SLOW_READER, CloseCode.PROTOCOL_ERROR, CloseCode.UNSUPPORTED_DATA})


@dataclass(frozen=True, slots=True)
class Access:
    """What a connection may do; the policy of the accounts issue decides these fields."""

    author: str | None
    can_write: bool = True


class TokenBucket:
    """Rate limit for update messages: `rate` per second with bursts of `burst`."""

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


class DocumentConnection:
    """A connection's state: its sync session, its outbox and what it may do.

    Counting: every update-bearing message (sync step 2 or update) the connection sends is
    numbered; `acknowledged` is how many of them are durable, which the *saved* notice reports.
    """

    def __init__(
        self, document: Document, access: Access, *, outbox_bytes: int, bucket: TokenBucket
    ) -> None:
        self.id = next(_ids)
        self.access = access
        self.session = SyncSession(document, Role.SERVER, writable=access.can_write)
        self.outbox = Outbox(outbox_bytes)
        self.bucket = bucket
        self.writes_received = 0
        self.acknowledged = 0
        self.acknowledged_seq = 0
        self.last_commit: asyncio.Future[None] | None = None
        self.last_seq = 0
        self.wants_saved_notices = False
        self.close_code: CloseCode | None = None
        self.close_reason = ""
        self.writer: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<DocumentConnection {self.id} author={self.access.author!r}>"

    def flush_session(self) -> bool:
        """Move the session's pending frames into the outbox; False on overflow."""
        return all(self.outbox.put(frame) for frame in self.session.data_to_send())

    def close(self, code: CloseCode, reason: str) -> None:
        """Close after what is queued; a slow reader or bad input is closed at once."""
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        urgent = code in _URGENT
        self.outbox.close(code, reason, discard=urgent)
        if urgent and self.writer is not None:
            # The writer may be blocked on a socket the peer no longer reads: do not wait.
            self.writer.cancel()
