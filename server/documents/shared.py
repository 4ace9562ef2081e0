"""A document loaded in memory with its connections: applies, relays, persists, acknowledges."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from crdt.awareness import AwarenessRegistry, encode_awareness_update
from crdt.document import Document, Validated
from crdt.messages import (
    AwarenessMessage,
    MessageType,
    SavedNotice,
    SyncMessageType,
    SyncUpdate,
    encode_message,
)
from crdt.session import (
    AwarenessQueried,
    AwarenessReceived,
    SavedNoticesRequested,
    UpdateApplied,
    WriteDenied,
)
from server.closecodes import CloseCode
from server.documents.connection import DocumentConnection
from server.documents.isolation import CpuAccount, CrdtLimits
from server.metrics import Metrics
from server.wire import encode_binary_frame
from storage.document_log import NewCheckpoint, NewUpdate, StoredDocument
from storage.group_commit import GroupCommitter
from storage.origins import Origin

log = logging.getLogger(__name__)

_WRITE_SUBTYPES = (SyncMessageType.STEP2, SyncMessageType.UPDATE)


@contextmanager
def lifted_limit(document: Document, validated: Validated | None = None) -> Iterator[None]:
    """Apply without the inline step limit: the work was proven cheap or is the server's.
    With ``validated``, the update applied inside was validated in the sandbox."""
    limit, document.step_limit = document.step_limit, None
    document.expect_validated(validated)
    try:
        yield
    finally:
        document.step_limit = limit
        document.expect_validated(None)


def is_write(frame: bytes) -> bool:
    """Whether a frame is a sync step 2 or update message (checked without decoding it)."""
    return len(frame) > 1 and frame[0] == MessageType.SYNC and frame[1] in _WRITE_SUBTYPES


class SharedDocument:
    """The single in-memory copy of one document on this node.

    Every accepted update gets the next sequence number, is relayed to the other connections
    as the very bytes received, and is handed to the group committer; the writer's *saved*
    notice follows the commit. `pending` holds the commits not yet done, so unloading can wait
    for them: nothing accepted is dropped.
    """

    def __init__(
        self,
        stored: StoredDocument,
        document: Document,
        *,
        last_seq: int,
        checkpoint_seq: int,
        committer: GroupCommitter,
        metrics: Metrics,
        checkpoint_every: int,
        limits: CrdtLimits,
    ) -> None:
        self.stored = stored
        self.document = document
        self.last_seq = last_seq
        self.checkpoint_seq = checkpoint_seq
        self.connections: dict[int, DocumentConnection] = {}
        self.awareness = AwarenessRegistry()
        self.pending: set[asyncio.Future[None]] = set()
        self.unload_task: asyncio.Task[None] | None = None
        self.frozen = False  # a proposal's vote runs: every connection is read-only
        self.trial_lock = asyncio.Lock()  # one sandbox trial at a time (isolation.py)
        self._limits = limits
        self._cpu = CpuAccount(self._limits.document_budget_seconds)  # CRDT time it takes here
        self._committer = committer
        self._metrics = metrics
        self._checkpoint_every = checkpoint_every

    @property
    def name(self) -> str:
        return self.stored.name

    def attach(self, connection: DocumentConnection) -> None:
        self.connections[connection.id] = connection
        connection.session.start()
        states = self.awareness.states()
        if states:
            connection.send(encode_message(AwarenessMessage(encode_awareness_update(states))))
        self._flush(connection)

    def detach(self, connection: DocumentConnection) -> None:
        if self.connections.pop(connection.id, None) is None:
            return
        removed = self.awareness.remove_owner(connection.id)
        if removed:
            self.broadcast(encode_message(AwarenessMessage(encode_awareness_update(removed))))

    def receive(self, connection: DocumentConnection, frame: bytes) -> None:
        """Handle one frame; raises crdt's ProtocolError (nothing applied) on bad input, and
        crdt's CostlyUpdate (nothing applied) for an update to try in the sandbox first."""
        writes = is_write(frame) and connection.access.can_write
        if writes and self.document.step_limit == 0 and self._cpu.available():
            self.document.step_limit = self._limits.inline_steps  # in credit again
        started = time.thread_time() if writes else 0.0
        commit: asyncio.Future[None] | None = None
        for event in connection.session.receive(frame):
            if isinstance(event, UpdateApplied):
                commit = self._accept_update(connection, event.update, event.relay_frame)
            elif isinstance(event, AwarenessReceived):
                accepted = self.awareness.apply(connection.id, event.entries, time.monotonic())
                if len(accepted) == len(event.entries):
                    self.broadcast(event.frame, exclude=connection)
                elif accepted:
                    payload = encode_awareness_update(accepted)
                    self.broadcast(encode_message(AwarenessMessage(payload)), exclude=connection)
            elif isinstance(event, AwarenessQueried):
                payload = encode_awareness_update(self.awareness.states())
                connection.send(encode_message(AwarenessMessage(payload)))
            elif isinstance(event, SavedNoticesRequested):
                connection.wants_saved_notices = True
                self._notify_saved(connection)
            elif isinstance(event, WriteDenied):
                pass  # the session queued the permission-denied reply
        if writes:
            self._count_write(connection, commit)
            self._charge(connection, time.thread_time() - started)
        self._flush(connection)

    def _charge(self, connection: DocumentConnection, seconds: float) -> None:
        """Charge a write's CRDT time to its connection and to this document."""
        if not self._cpu.charge(seconds) and self.document.step_limit is not None:
            self.document.step_limit = 0  # its budget here is spent: sandbox first
        if not connection.cpu.charge(seconds):
            connection.close(CloseCode.UPDATE_TOO_COSTLY, "the connection's CRDT budget is spent")

    def broadcast(self, frame: bytes, exclude: DocumentConnection | None = None) -> int:
        """Send a message to every connection but `exclude`; closes those that overflow.

        The frame is encoded for the wire once and the same bytes are written to each
        receiver (relaying is then one transport write per connection).
        """
        wire = encode_binary_frame(frame)
        sent = 0
        for other in list(self.connections.values()):
            if other is exclude:
                continue
            if other.send_wire(wire):
                sent += 1
            else:
                self._close_slow_reader(other)
        return sent

    def expire_awareness(self, now: float) -> None:
        removed = self.awareness.expire(now)
        if removed:
            self.broadcast(encode_message(AwarenessMessage(encode_awareness_update(removed))))

    def checkpoint(self) -> asyncio.Future[None] | None:
        """Queue the full state as a checkpoint at `last_seq`, if anything was logged since."""
        if self.last_seq == self.checkpoint_seq:
            return None
        future = self._committer.submit_checkpoint(
            NewCheckpoint(
                document_id=self.stored.id,
                seq=self.last_seq,
                state=self.document.encode_state(),
                created_at=datetime.now(UTC),
            )
        )
        self.checkpoint_seq = self.last_seq
        self._track(future)
        return future

    async def settle(self) -> None:
        """Wait until every accepted update and checkpoint of this document is committed."""
        while self.pending:
            # wait, not gather: a waiter cancelled (an unload during shutdown) must not cancel
            # the commits themselves
            await asyncio.wait(list(self.pending))

    def apply_server_update(
        self, update: bytes, *, author: str | None, origin: Origin
    ) -> tuple[int, asyncio.Future[None]]:
        """Apply an update the server made (a fork's first state, a merge) as if a connection
        had sent it: relayed once to every connection, logged with the next sequence number,
        ``author`` and ``origin``. Returns that number and the commit's future.

        Raises crdt's UpdateError (nothing applied, relayed or logged) for a refused update.
        The server's own updates (fork seeds, merges of adopted amendments) are not held to
        the inline step limit: they come from documents already admitted.
        """
        with lifted_limit(self.document):
            self.document.apply_update(update)
        frame = encode_message(SyncUpdate(update))
        self._metrics.updates_relayed.inc(self.broadcast(frame))
        future = self._log(update, author, origin)
        return self.last_seq, future

    def _accept_update(
        self, connection: DocumentConnection, update: bytes, relay: bytes
    ) -> asyncio.Future[None]:
        self._metrics.updates_received.inc()
        self._metrics.updates_relayed.inc(self.broadcast(relay, exclude=connection))
        return self._log(update, connection.access.author, Origin.CONNECTION)

    def _log(self, update: bytes, author: str | None, origin: Origin) -> asyncio.Future[None]:
        """Number an applied update and hand it to the group committer."""
        self.last_seq += 1
        future = self._committer.submit(
            NewUpdate(
                document_id=self.stored.id,
                seq=self.last_seq,
                data=update,
                author=author,
                client_id=self.document.last_client,
                origin=origin,
                created_at=datetime.now(UTC),
            )
        )
        self._track(future)
        if self.last_seq - self.checkpoint_seq >= self._checkpoint_every:
            self.checkpoint()
        return future

    def _count_write(
        self, connection: DocumentConnection, commit: asyncio.Future[None] | None
    ) -> None:
        """Number a write message; acknowledge it once it (if empty: the last one) is durable."""
        connection.writes_received += 1
        number = connection.writes_received
        if commit is not None:
            connection.last_commit, connection.last_seq = commit, self.last_seq
        pending, seq = connection.last_commit, connection.last_seq
        if pending is None or pending.done():
            self._acknowledge(connection, number, seq, pending)
        else:
            pending.add_done_callback(lambda f: self._acknowledge(connection, number, seq, f))

    def _acknowledge(
        self,
        connection: DocumentConnection,
        number: int,
        seq: int,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        if future is not None and (future.cancelled() or future.exception() is not None):
            return
        if number > connection.acknowledged:
            connection.acknowledged, connection.acknowledged_seq = number, seq
            self._notify_saved(connection)

    def _notify_saved(self, connection: DocumentConnection) -> None:
        if not connection.wants_saved_notices or connection.close_code is not None:
            return
        notice = SavedNotice(acknowledged=connection.acknowledged, seq=connection.acknowledged_seq)
        if not connection.send(encode_message(notice)):
            self._close_slow_reader(connection)

    def _track(self, future: asyncio.Future[None]) -> None:
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        future.add_done_callback(self._report_refused)

    def _report_refused(self, future: asyncio.Future[None]) -> None:
        # The committer retries outages itself; a failure here is a row the database refused
        # for good (storage.errors.UpdateRejected). The writer gets no saved notice for it.
        if not future.cancelled() and future.exception() is not None:
            log.error(
                "document %r: a write was refused by the database",
                self.name,
                exc_info=future.exception(),
            )

    def _flush(self, connection: DocumentConnection) -> None:
        if not connection.flush_session():
            self._close_slow_reader(connection)

    def _close_slow_reader(self, connection: DocumentConnection) -> None:
        connection.close(CloseCode.SLOW_READER, "too slow to read; reconnect to resync")
