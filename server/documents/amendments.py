"""Amendments as the document API offers them: forking a document in its room, listing its
forks, diffing a fork against its base and merging it back, each asked of the policy and
audited. The CRDT work is `Forks`' (server/documents/forks.py), the diff `diffs`'.
docs/amendments.md has the API and the rules.

Every document is read as it is now: from memory when it is loaded (updates accepted and
not yet committed included), else from its log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from crdt.errors import UpdateError
from server.documents import DocumentOutsideRooms, MergeRefused, NotAFork
from server.documents.admission import Admission, DocumentCaller
from server.documents.diffs import TextDiff, roots_diff, text_roots
from server.documents.forks import Forks
from server.documents.registry import DocumentFrozen
from server.policy import Action
from server.rooms.service import Rooms
from storage.amendments import AmendmentStore, StoredFork
from storage.audit import AuditLog

Against = Literal["fork", "base"]


@dataclass(frozen=True)
class Diff:
    """A fork against its base as forked (``against`` "fork") or as it is now ("base")."""

    name: str
    base: str
    against: Against
    base_seq: int
    seq: int
    roots: dict[str, TextDiff]


class Amendments:
    def __init__(
        self,
        *,
        admission: Admission,
        forks: Forks,
        rooms: Rooms,
        store: AmendmentStore,
        audit: AuditLog,
    ) -> None:
        self._admission, self._forks, self._rooms = admission, forks, rooms
        self._store, self._audit = store, audit

    async def forks_of(self, caller: DocumentCaller) -> list[StoredFork]:
        return await self._store.forks_of(caller.document_id)

    async def fork(self, caller: DocumentCaller, name: str, address: str | None) -> StoredFork:
        """Create document ``name`` in the base's room as a fork of it (those who may write
        and create documents there)."""
        if caller.room is None:
            raise DocumentOutsideRooms
        caller.require(Action.WRITE_DOCUMENT, Action.CREATE_DOCUMENT)
        name = await self._rooms.create_document(caller.view(), name, address)
        fork = await self._forks.fork(
            caller.name, caller.document_id, name, author=caller.author, user_id=caller.user_id
        )
        await self._audit.record(
            "document.forked",
            actor_user_id=caller.user_id,
            room_id=caller.room.id,
            address=address,
            details={"document": name, "base": caller.name, "base_seq": fork.base_seq},
        )
        return fork

    async def merge(
        self, caller: DocumentCaller, address: str | None
    ) -> tuple[StoredFork, int | None]:
        """Merge the fork into its base (those who may write the base): the fork as recorded
        and the base's new sequence number (None: nothing new to apply). MergeRefused."""
        fork = await self.fork_of(caller)
        base = await self._admission.caller(fork.base_name, caller.principal)
        base.require(Action.WRITE_DOCUMENT)
        place = await self._admission.place_of(fork.base_name)
        if place is not None and place.frozen:
            raise MergeRefused("the base is frozen for a vote")
        try:
            fork, seq = await self._forks.merge(fork, author=base.author, user_id=base.user_id)
        except (UpdateError, DocumentFrozen) as exc:
            raise MergeRefused(str(exc)) from None
        if seq is not None:
            await self._audit.record(
                "document.merged",
                actor_user_id=base.user_id,
                room_id=None if base.room is None else base.room.id,
                address=address,
                details={"document": caller.name, "base": fork.base_name, "seq": seq},
            )
        return fork, seq

    async def diff(self, caller: DocumentCaller, against: Against) -> Diff:
        """The fork's text roots against its base as forked, or as it is now (for those who
        may read the base too)."""
        fork = await self.fork_of(caller)
        if against == "fork":  # the base as it was forked: the fork's own first update
            seed = await self._store.seed(caller.document_id)
            base_texts = text_roots(self._forks.restored(None, [] if seed is None else [seed]))
            base_seq = fork.base_seq
        else:  # the base as it is now
            await self._admission.caller(fork.base_name, caller.principal)
            base_document, base_seq = await self._forks.current(fork.base_name)
            base_texts = text_roots(base_document)
        amendment, seq = await self._forks.current(caller.name)
        roots = roots_diff(base_texts, text_roots(amendment), (fork.base_name, caller.name))
        return Diff(caller.name, fork.base_name, against, base_seq, seq, roots)

    async def fork_of(self, caller: DocumentCaller) -> StoredFork:
        """The fork record of the caller's document; NotAFork."""
        fork = await self._store.fork(caller.document_id)
        if fork is None:
            raise NotAFork(caller.name)
        return fork
