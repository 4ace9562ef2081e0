"""A document loaded in memory with its connections: applies, relays, persists, acknowledges."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from crdt.awareness import AwarenessRegistry, decode_awareness_update, encode_awareness_update
from crdt.document import Document, Validated
from crdt.messages import (
    AwarenessMessage,
    MessageType,
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
from server.documents.news import AwarenessNews, DocumentNews, NumberedRuns, UpdateNews
from server.documents.numbering import AppliedNumbers
from server.documents.remote import TurnRelay, Unnumbered
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

    Every accepted update is relayed to the other connections as the very bytes received and
    handed to the group committer, which numbers it when it stores it; the writer's *saved*
    notice follows the commit. The update goes to the other nodes at once, and its number
    once it is stored (`publish`).
    Updates from other nodes come in through `apply_remote`; they are relayed, never logged
    again. `pending` holds the commits not yet done, so unloading can wait for them: nothing
    accepted is dropped.
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
        publish: Callable[[DocumentNews], None] | None = None,
        at_turn_end: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self.stored = stored
        self.document = document
        self.numbers = AppliedNumbers(last_seq)
        self.checkpoint_seq = checkpoint_seq
        self._publish = publish
        self._numbered_runs = None if publish is None else NumberedRuns(publish)
        self._unnumbered = 0  # own updates applied whose commit has not numbered them yet
        self._told = 0  # own updates told to the other nodes (their running number)
        # other nodes' updates applied here whose sequence number has not come yet
        self.remote_unnumbered = Unnumbered()
        # updates are relayed at the end of the turn that applied them, merged (remote.py)
        self._to_relay = TurnRelay(self._relay_queued, stored.name, at_turn_end)
        self.connections: dict[int, DocumentConnection] = {}
        self.awareness = AwarenessRegistry()
        self.pending: set[asyncio.Future[int]] = set()
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

    @property
    def last_seq(self) -> int:
        """The newest version this copy holds (updates not yet committed come on top)."""
        return self.numbers.highest

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
            payload = encode_awareness_update(removed)
            self.broadcast(encode_message(AwarenessMessage(payload)))
            self._tell(AwarenessNews(payload))

    def receive(self, connection: DocumentConnection, frame: bytes) -> None:
        """Handle one frame; raises crdt's ProtocolError (nothing applied) on bad input, and
        crdt's CostlyUpdate (nothing applied) for an update to try in the sandbox first."""
        writes = is_write(frame) and connection.access.can_write
        if writes and self._committer.full:  # nothing is applied that could not be stored
            connection.close(
                CloseCode.OVERLOADED, "the database takes no writes now; reconnect later"
            )
            return
        if writes and self.document.step_limit == 0 and self._cpu.available():
            self.document.step_limit = self._limits.inline_steps  # in credit again
        started = time.thread_time() if writes else 0.0
        items = self.document.items  # before this frame's update (one at most)
        commit: asyncio.Future[int] | None = None
        for event in connection.session.receive(frame):
            if isinstance(event, UpdateApplied):
                found = Validated(self.document.items - items, self.document.last_client)
                commit = self._accept_update(connection, event.update, event.relay_frame, found)
            elif isinstance(event, AwarenessReceived):
                accepted = self.awareness.apply(connection.id, event.entries, time.monotonic())
                if len(accepted) == len(event.entries):
                    self.broadcast(event.frame, exclude=connection)
                    self._tell(AwarenessNews(encode_awareness_update(accepted)))
                elif accepted:
                    payload = encode_awareness_update(accepted)
                    self.broadcast(encode_message(AwarenessMessage(payload)), exclude=connection)
                    self._tell(AwarenessNews(payload))
            elif isinstance(event, AwarenessQueried):
                payload = encode_awareness_update(self.awareness.states())
                connection.send(encode_message(AwarenessMessage(payload)))
            elif isinstance(event, SavedNoticesRequested):
                connection.wants_saved_notices = True
                connection.notify_saved()
            elif isinstance(event, WriteDenied):
                pass  # the session queued the permission-denied reply
        if writes:
            connection.count_write(commit)
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

    def checkpoint(self) -> asyncio.Future[int] | None:
        """Queue the state as a checkpoint, if it is exactly the versions 1..n for an n past
        the last checkpoint: no own update waits for its number and no number is missing.
        Otherwise None (a later call, at the latest when the document unloads, writes it)."""
        numbers = self.numbers
        if (
            self._unnumbered
            or self.remote_unnumbered
            or numbers.has_gap
            or numbers.through == self.checkpoint_seq
        ):
            return None
        future = self._committer.submit_checkpoint(
            NewCheckpoint(
                document_id=self.stored.id,
                seq=numbers.through,
                state=self.document.encode_state(),
                created_at=datetime.now(UTC),
            )
        )
        self.checkpoint_seq = numbers.through
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
    ) -> asyncio.Future[int]:
        """Apply an update the server made (a fork's first state, a merge) as if a connection
        had sent it: relayed once to every connection, logged with ``author`` and ``origin``.
        Returns the commit's future, which resolves to the update's sequence number.

        Raises crdt's UpdateError (nothing applied, relayed or logged) for a refused update.
        The server's own updates (fork seeds, merges of adopted amendments) are not held to
        the inline step limit: they come from documents already admitted.
        """
        with lifted_limit(self.document):
            self.document.apply_update(update)
        frame = encode_message(SyncUpdate(update))
        self._metrics.updates_relayed.inc(self.broadcast(frame))
        return self._log(update, author, origin)

    def apply_remote(self, seq: int, update: bytes) -> bool:
        """Apply an update another node stored as ``seq`` (from the bus, or read from SQL to
        fill a hole) and relay it to this node's connections; never logged again here.
        False if this copy holds it already. Raises crdt's UpdateError for bytes the
        document refuses (nothing applied)."""
        if self.numbers.holds(seq):
            return False
        if self.remote_unnumbered.read_back(update):  # applied and relayed already: numbered
            self.numbers.mark(seq)
            self._checkpoint_when_due()
            return True
        with lifted_limit(self.document):  # the node that took it checked it
            self.document.apply_update(update)
        self.numbers.mark(seq)
        self._to_relay.add(update)
        self._checkpoint_when_due()
        return True

    def apply_remote_unnumbered(
        self, node: bytes, local: int, update: bytes, validated: Validated | None = None
    ) -> None:
        """Apply an update another node accepted and relay it here at once; its sequence
        number follows (`number_remote`). With ``validated`` (what that node's validation
        found) it is integrated without parsing it again. Raises crdt's UpdateError (nothing
        applied)."""
        with lifted_limit(self.document, validated):  # the node that took it checked it
            self.document.apply_update(update)
        self.remote_unnumbered.add(node, local, update)
        self._to_relay.add(update)

    def number_remote(self, node: bytes, local: int, seq: int, count: int = 1) -> bool:
        """Another node's updates ``local`` and the ``count - 1`` after it, applied here, are
        stored from ``seq`` on. False if one never came here (lost: read it from SQL)."""
        complete = True
        for offset in range(count):
            if self.remote_unnumbered.numbered(node, local + offset):
                self.numbers.mark(seq + offset)
            elif not self.numbers.holds(seq + offset):
                complete = False
        self._checkpoint_when_due()
        return complete

    def _relay_queued(self, update: bytes, frame: bytes | None, source: object | None) -> None:
        exclude = source if isinstance(source, DocumentConnection) else None
        relay = encode_message(SyncUpdate(update)) if frame is None else frame
        self._metrics.updates_relayed.inc(self.broadcast(relay, exclude=exclude))

    def adopt(self, update: bytes) -> asyncio.Future[int]:
        """Store an update a dead node accepted and relayed here but never stored."""
        return self._log(update, None, Origin.BUS)

    def apply_remote_awareness(self, owner: int, payload: bytes) -> None:
        """Take awareness states another node relayed (``owner`` stands for that node)."""
        entries = decode_awareness_update(payload)
        accepted = self.awareness.apply(owner, entries, time.monotonic())
        if accepted:
            self.broadcast(encode_message(AwarenessMessage(encode_awareness_update(accepted))))

    def forget_remote_awareness(self, owner: int) -> None:
        """Drop the states another node relayed (that node died) and tell the connections."""
        removed = self.awareness.remove_owner(owner)
        if removed:
            self.broadcast(encode_message(AwarenessMessage(encode_awareness_update(removed))))

    def _accept_update(
        self, connection: DocumentConnection, update: bytes, relay: bytes, found: Validated
    ) -> asyncio.Future[int]:
        self._metrics.updates_received.inc()
        # logged (and so published to the other nodes) first: their observers need not wait
        # for this node's
        logged = self._log(update, connection.access.author, Origin.CONNECTION, found)
        self._to_relay.add(update, frame=relay, source=connection)
        return logged

    def _log(
        self,
        update: bytes,
        author: str | None,
        origin: Origin,
        validated: Validated | None = None,
    ) -> asyncio.Future[int]:
        """Hand an applied update to the group committer, which numbers it; the other nodes
        are told at once (with ``validated``, what validating it found)."""
        future = self._committer.submit(
            NewUpdate(
                document_id=self.stored.id,
                data=update,
                author=author,
                client_id=self.document.last_client,
                origin=origin,
                created_at=datetime.now(UTC),
            )
        )
        self._unnumbered += 1
        self._told += 1
        local = self._told
        self._tell(UpdateNews(local, update, validated))
        future.add_done_callback(lambda done: self._numbered(local, done))
        self._track(future)
        return future

    def _numbered(self, local: int, future: asyncio.Future[int]) -> None:
        """An own update is stored (or refused): note its number and tell the other nodes.

        The update itself went to them when it was accepted, so that the commit is not on
        the cross-node path; a node that dies before storing it leaves it unnumbered in the
        others' memory, and they store it themselves (CrossNode's watch over orphans).
        """
        self._unnumbered -= 1
        if future.cancelled() or future.exception() is not None:
            return
        seq = future.result()
        self.numbers.mark(seq)
        if self._numbered_runs is not None:
            self._numbered_runs.add(local, seq)
        self._checkpoint_when_due()

    def _checkpoint_when_due(self) -> None:
        if self.numbers.through - self.checkpoint_seq >= self._checkpoint_every:
            self.checkpoint()

    def _tell(self, news: DocumentNews) -> None:
        if self._publish is not None and self._numbered_runs is not None:
            self._numbered_runs.flush()  # the numbers learnt before go first
            self._publish(news)

    def _track(self, future: asyncio.Future[int]) -> None:
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        future.add_done_callback(self._report_refused)

    def _report_refused(self, future: asyncio.Future[int]) -> None:
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
        connection.close_slow()
