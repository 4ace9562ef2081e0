"""Forks of documents (amendments) and their merges, for the API and for adopted amendments.

A fork is a document whose first update is the base's whole state at fork time; merging
applies the fork's changes since then (its state relative to the base's state vector at fork
time) to the base as a server update: relayed to the base's connections and logged with
origin ``merge``. A merge that would change nothing is skipped. docs/amendments.md.
"""

from __future__ import annotations

from crdt.changes import would_change
from crdt.document import Backend, Document
from server.documents.registry import DocumentRegistry
from storage.amendments import FORK_ORIGIN, MERGE_ORIGIN, AmendmentStore, StoredFork
from storage.document_log import DocumentLog
from storage.models import utc_now


class Forks:
    def __init__(
        self,
        documents: DocumentRegistry,
        log: DocumentLog,
        backend: Backend,
        store: AmendmentStore,
    ) -> None:
        self.documents, self.log, self.backend, self.store = documents, log, backend, store

    async def current(self, name: str) -> tuple[Document, int]:
        """The document as it is now and its sequence number: the one in memory when loaded
        (read it before the next await: it keeps changing), else rebuilt from the log."""
        shared = self.documents.get(name)
        if shared is not None:
            return shared.document, shared.last_seq
        state = await self.log.load(name)
        parts = [state.checkpoint] if state.checkpoint is not None else []
        materialized = await self.documents.loader.materialize([*parts, *state.updates])
        return materialized.document, state.last_seq

    def restored(self, checkpoint: bytes | None, updates: list[bytes]) -> Document:
        document = self.backend.new_document()
        if checkpoint is not None:
            document.restore(checkpoint)
        for update in updates:
            document.restore(update)
        return document

    async def fork(
        self,
        base: str,
        base_document_id: int,
        name: str,
        *,
        author: str | None,
        user_id: int | None,
    ) -> StoredFork:
        """Seed the new, empty document ``name`` with ``base`` as it is now, durably, and
        record the fork. Raises StorageError when the database cannot be written."""
        document, base_seq = await self.current(base)
        state, state_vector = document.encode_state(), document.state_vector()
        seeded = await self.documents.apply_server_update(
            name, lambda _empty: state, author=author, origin=FORK_ORIGIN
        )
        assert seeded is not None
        await seeded  # the fork's history starts with the base, durably
        stored = await self.log.find_document(name)
        assert stored is not None
        return await self.store.record_fork(
            stored.id,
            base_document_id=base_document_id,
            base_state_vector=state_vector,
            base_seq=base_seq,
            created_by=user_id,
            created_at=utc_now(),
        )

    async def merge(
        self, fork: StoredFork, *, author: str | None, user_id: int | None
    ) -> tuple[StoredFork, int | None]:
        """Apply the fork's changes since the fork to its base; the fork as recorded and the
        base's new sequence number (None: there was nothing new to apply).

        Raises DocumentFrozen (the base is under a vote) and crdt's UpdateError.
        """
        amendment, _ = await self.current(fork.name)
        changes = amendment.encode_state(fork.base_state_vector)

        def only_news(document: Document) -> bytes | None:
            return changes if would_change(document, changes) else None

        applied = await self.documents.apply_server_update(
            fork.base_name, only_news, author=author, origin=MERGE_ORIGIN
        )
        if applied is None:
            return fork, None
        seq = await applied
        recorded = await self.store.record_merge(
            fork.document_id, merged_by=user_id, merged_at=utc_now(), merged_seq=seq
        )
        return recorded, seq
