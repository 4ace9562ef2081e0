"""Loads documents on their first connection and unloads them after the last one leaves."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from crdt.document import Backend, Document
from server.closecodes import CloseCode
from server.documents.connection import Access, Channel, DocumentConnection, TokenBucket
from server.documents.crossnode import CrossNode, document_channel
from server.documents.isolation import CpuAccount, DocumentLoader
from server.documents.locks import NameLocks
from server.documents.rendering import render
from server.documents.sandbox import CrdtSandbox
from server.documents.shared import SharedDocument
from server.metrics import Metrics
from server.settings import Settings
from server.supervisor import TaskScope, TaskSupervisor
from storage.bus import Bus, LocalBus, new_node_id
from storage.document_log import DocumentLog
from storage.errors import DocumentNotFound
from storage.group_commit import GroupCommitter
from storage.origins import Origin

log = logging.getLogger(__name__)


class DocumentFrozen(Exception):
    """The document is a proposal's body under a vote: nothing may change it."""


@dataclass(frozen=True)
class Frozen:
    """A document's version when it was frozen: its last sequence number, full state, state
    vector and rendered roots."""

    seq: int
    state: bytes
    state_vector: bytes
    rendered: dict[str, object]


SWEEP_SECONDS = 5.0


class DocumentRegistry:
    """Every document loaded on this node, by name.

    Loading and unloading of one name are serialised by a per-name lock (kept only while in
    use, server/documents/locks.py), so a connection that arrives while its document is being
    unloaded waits and then loads it afresh. Its background work (the awareness sweep, the
    delayed unloads) is given to the server's task supervisor.
    """

    def __init__(
        self,
        settings: Settings,
        log_: DocumentLog,
        committer: GroupCommitter,
        backend: Backend,
        metrics: Metrics,
        *,
        tasks: TaskScope | None = None,
        bus: Bus | None = None,
        at_turn_end: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self._settings = settings
        self._at_turn_end = at_turn_end  # runs a job just before the sockets are written
        self._log = log_
        self._committer = committer
        self._backend = backend
        self._metrics = metrics
        self.sandbox = CrdtSandbox(backend.name, workers=settings.crdt_workers)
        self.loader = DocumentLoader(backend, self.sandbox, settings.crdt_limits)
        self._documents: dict[str, SharedDocument] = {}
        self._locks = NameLocks()
        self._tasks = tasks or TaskSupervisor().scope()
        self._stopping = False
        self.crossnode = CrossNode(bus or LocalBus(new_node_id()), log_, self._tasks)
        self.crossnode.freeze_here = self._freeze_here

    def __contains__(self, name: str) -> bool:
        return name in self._documents

    def get(self, name: str) -> SharedDocument | None:
        return self._documents.get(name)

    def connections(self) -> Iterator[DocumentConnection]:
        """Every connection to a loaded document."""
        for shared in list(self._documents.values()):
            yield from list(shared.connections.values())

    async def start(self) -> None:
        if self._settings.crdt_prespawn:
            await self.sandbox.start()
        self._tasks.spawn(self._sweep(), name="awareness sweep")
        self.crossnode.start()

    async def stop(self) -> None:
        """Close every connection, wait for their writes, checkpoint and unload everything."""
        self._stopping = True  # no more delayed unloads: everything is unloaded below
        await self._tasks.cancel()
        for name in list(self._documents):
            shared = self._documents[name]
            for connection in list(shared.connections.values()):
                connection.close(CloseCode.GOING_AWAY, "server shutting down")
        for name in list(self._documents):
            await self._unload(name)
        await self.sandbox.stop()

    def loaded(self, name: str) -> SharedDocument | None:
        """The document if it is in memory and not being unloaded (attach without waiting)."""
        shared = self._documents.get(name)
        return shared if shared is not None and not self._locks.held(name) else None

    async def connect(
        self, name: str, access: Access, channel: Channel
    ) -> tuple[SharedDocument, DocumentConnection]:
        """Attach a new connection to `name`, loading the document if needed.

        Raises storage.errors.StorageError when the database cannot be read.
        """
        async with self._locks.hold(name):
            shared = await self._get_or_load(name)
            return shared, self.attach(shared, access, channel)

    async def apply_server_update(
        self,
        name: str,
        make: Callable[[Document], bytes | None],
        *,
        author: str | None,
        origin: Origin,
    ) -> asyncio.Future[int] | None:
        """Apply an update the server makes to the document ``name``, loading it if needed.

        ``make`` gets the document in memory and returns the update, or None to apply none;
        nothing else is applied between the two, so it may decide on the state it sees (a merge
        that would change nothing is skipped). The update then goes the way a connection's does
        (`SharedDocument.apply_server_update`): the commit's future comes back, resolving to
        the update's sequence number. A document loaded for this is unloaded after the grace
        period, as one whose last connection left. The document must exist (loading creates a
        missing one).

        Raises storage.errors.StorageError when the database cannot be read, and crdt's
        UpdateError when the document refuses the update (nothing applied).
        """
        async with self._locks.hold(name):
            shared = await self._get_or_load(name)
            try:
                if shared.frozen:
                    raise DocumentFrozen(f"{name!r} is frozen while its vote runs")
                update = make(shared.document)
                if update is None:
                    return None
                return shared.apply_server_update(update, author=author, origin=origin)
            finally:
                self._unload_when_idle(shared)

    async def freeze(self, name: str) -> Frozen:
        """Make the document read-only for every connection, open and to come, wait until
        everything it accepted is committed, and return the version it stays at.

        Used when a proposal's vote opens (its body must not change while the vote runs).
        Raises storage.errors.StorageError when the database cannot be read.
        """
        async with self._locks.hold(name):
            shared = await self._get_or_load(name)
            await self._freeze_here(shared)
            await self.crossnode.freeze_everywhere(shared)  # their writes are in SQL: read
            document = shared.document
            state = document.encode_state()
            frozen = Frozen(
                shared.last_seq, state, document.state_vector(), await render(document, state)
            )
            self._unload_when_idle(shared)
            return frozen

    def thaw(self, name: str) -> None:
        """Undo `freeze` (the vote did not open); the access review restores writers."""
        shared = self._documents.get(name)
        if shared is not None:
            shared.frozen = False
            self.crossnode.thaw_everywhere(shared)

    async def _freeze_here(self, shared: SharedDocument) -> None:
        """Make the document read-only on this node and store what it accepted."""
        shared.frozen = True
        for connection in list(shared.connections.values()):
            connection.grant(replace(connection.access, can_write=False))
        await shared.settle()

    def attach(
        self, shared: SharedDocument, access: Access, channel: Channel
    ) -> DocumentConnection:
        """Attach a connection to a document in memory (see `loaded` and `connect`)."""
        if shared.unload_task is not None:
            shared.unload_task.cancel()
            shared.unload_task = None
        if shared.frozen:
            access = replace(access, can_write=False)
        connection = DocumentConnection(
            shared.document,
            access,
            channel,
            TokenBucket(self._settings.update_rate, self._settings.update_burst),
            CpuAccount(self._settings.crdt_budget),
        )
        shared.attach(connection)
        self._metrics.connections.inc()
        return connection

    def disconnect(self, shared: SharedDocument, connection: DocumentConnection) -> None:
        shared.detach(connection)
        self._metrics.connections.dec()
        self._unload_when_idle(shared)

    async def _get_or_load(self, name: str) -> SharedDocument:
        """The document in memory, loaded first if it is not (the caller holds its lock)."""
        shared = self._documents.get(name)
        if shared is None:
            shared = await self._load(name)
            self._documents[name] = shared
            self._metrics.documents_loaded.set(len(self._documents))
            await self.crossnode.follow(shared)
        return shared

    def _unload_when_idle(self, shared: SharedDocument) -> None:
        """The one way a document leaves memory while the server runs: once it has had no
        connection for the grace period."""
        if not shared.connections and shared.unload_task is None and not self._stopping:
            shared.unload_task = self._tasks.spawn(
                self._unload_later(shared), name=f"unload {shared.name}"
            )

    async def _load(self, name: str) -> SharedDocument:
        try:
            state = await self._log.load(name)
        except DocumentNotFound:
            await self._log.ensure_document(name)
            state = await self._log.load(name)
        # What the log holds was validated when it arrived: restoring skips the Python-level
        # checks (they took ~49 ms for a 20,000-update checkpoint, bench coldopen). Costly
        # history is replayed in the sandbox (server/documents/isolation.py).
        parts = [state.checkpoint] if state.checkpoint is not None else []
        materialized = await self.loader.materialize([*parts, *state.updates])
        shared = SharedDocument(
            state.document,
            materialized.document,
            last_seq=state.last_seq,
            checkpoint_seq=state.checkpoint_seq,
            committer=self._committer,
            metrics=self._metrics,
            checkpoint_every=self._settings.checkpoint_every,
            limits=self.loader.limits,
            publish=self.crossnode.publisher(document_channel(state.document.id)),
            at_turn_end=self._at_turn_end,
        )
        if len(state.updates) >= self._settings.checkpoint_every or (
            state.updates and materialized.needs_checkpoint(self.loader.limits)
        ):
            shared.checkpoint()  # a long or costly tail: make the next open fast
        return shared

    async def _unload_later(self, shared: SharedDocument) -> None:
        await asyncio.sleep(self._settings.unload_grace)
        async with self._locks.hold(shared.name):
            if shared.connections or self._documents.get(shared.name) is not shared:
                return
            shared.unload_task = None
            await self._unload(shared.name)

    async def _unload(self, name: str) -> None:
        shared = self._documents.get(name)
        if shared is None:
            return
        await self.crossnode.unfollow(shared)
        await self.crossnode.adopt_orphans(shared)
        await shared.settle()
        shared.checkpoint()
        await shared.settle()
        del self._documents[name]
        self._metrics.documents_loaded.set(len(self._documents))
        log.debug("unloaded %s at seq %d", name, shared.last_seq)

    async def _sweep(self) -> None:
        """Expire stale awareness states and keep idle connections alive."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = time.monotonic()
            for shared in list(self._documents.values()):
                shared.expire_awareness(now)
                for connection in list(shared.connections.values()):
                    connection.channel.keepalive(now)
