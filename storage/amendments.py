"""Amendments and anchored comments: forks of documents, their merges, comments on ranges.

A fork row says which document a document was forked from, with the base's state vector and
sequence number at that moment; the fork's own history starts with the base's state (its
first update, origin ``fork``). A comment row holds the two Yjs relative positions of its
range (see ``crdt.positions``), never offsets, so it follows the text as it is edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import aliased

from storage.database import Database
from storage.models import (
    DocumentCommentRecord,
    DocumentForkRecord,
    DocumentRecord,
    UpdateRecord,
    UserRecord,
)
from storage.origins import Origin

__all__ = ["FORK_ORIGIN", "MERGE_ORIGIN", "AmendmentStore", "StoredComment", "StoredFork"]

FORK_ORIGIN = Origin.FORK  # a fork's first update: the base's state at fork time
MERGE_ORIGIN = Origin.MERGE  # a merge's update in the base's log


@dataclass(frozen=True)
class StoredFork:
    document_id: int
    name: str
    base_document_id: int
    base_name: str
    base_state_vector: bytes
    base_seq: int
    created_by: str | None  # a user name
    created_at: datetime
    merged_at: datetime | None
    merged_by: str | None  # a user name
    merged_seq: int | None


@dataclass(frozen=True)
class StoredComment:
    id: int
    document_id: int
    root: str
    start_position: bytes
    end_position: bytes
    quote: str
    author: str | None  # a user name
    author_display_name: str | None
    body: str
    created_at: datetime


class AmendmentStore:
    """Forks and comments; every method is one unit of work."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessionmaker

    async def record_fork(
        self,
        document_id: int,
        *,
        base_document_id: int,
        base_state_vector: bytes,
        base_seq: int,
        created_by: int | None,
        created_at: datetime,
    ) -> StoredFork:
        """Record that the document was forked from the base. IntegrityError if it was."""
        async with self._sessions() as session, session.begin():
            session.add(
                DocumentForkRecord(
                    document_id=document_id,
                    base_document_id=base_document_id,
                    base_state_vector=base_state_vector,
                    base_seq=base_seq,
                    created_by=created_by,
                    created_at=created_at,
                )
            )
        found = await self.fork(document_id)
        assert found is not None
        return found

    @staticmethod
    def _forks() -> Select[DocumentForkRecord, str, str, str, str]:
        base = aliased(DocumentRecord)
        creator, merger = aliased(UserRecord), aliased(UserRecord)
        return (
            select(
                DocumentForkRecord,
                DocumentRecord.name,
                base.name,
                creator.name,
                merger.name,
            )
            .join(DocumentRecord, DocumentRecord.id == DocumentForkRecord.document_id)
            .join(base, base.id == DocumentForkRecord.base_document_id)
            .outerjoin(creator, creator.id == DocumentForkRecord.created_by)
            .outerjoin(merger, merger.id == DocumentForkRecord.merged_by)
        )

    async def fork(self, document_id: int) -> StoredFork | None:
        """The fork record of the document, or None if it is no fork."""
        query = self._forks().where(DocumentForkRecord.document_id == document_id)
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        return None if row is None else _fork(*row)

    async def forks_of(self, base_document_id: int) -> list[StoredFork]:
        """The forks of a base document, oldest first."""
        query = (
            self._forks()
            .where(DocumentForkRecord.base_document_id == base_document_id)
            .order_by(DocumentForkRecord.created_at, DocumentForkRecord.document_id)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [_fork(*row) for row in rows]

    async def seed(self, document_id: int) -> bytes | None:
        """The fork's first update of origin ``fork``: the base's state at fork time."""
        query = (
            select(UpdateRecord.data)
            .where(UpdateRecord.document_id == document_id, UpdateRecord.origin == FORK_ORIGIN)
            .order_by(UpdateRecord.seq)
            .limit(1)
        )
        async with self._sessions() as session:
            data: bytes | None = await session.scalar(query)
        return data

    async def record_merge(
        self, document_id: int, *, merged_by: int | None, merged_at: datetime, merged_seq: int
    ) -> StoredFork:
        """Record a merge of the fork into its base (the latest one that changed the base)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(DocumentForkRecord)
                .where(DocumentForkRecord.document_id == document_id)
                .values(merged_by=merged_by, merged_at=merged_at, merged_seq=merged_seq)
            )
        found = await self.fork(document_id)
        assert found is not None
        return found

    async def add_comment(
        self,
        document_id: int,
        *,
        root: str,
        start_position: bytes,
        end_position: bytes,
        quote: str,
        author_id: int | None,
        body: str,
        created_at: datetime,
    ) -> StoredComment:
        record = DocumentCommentRecord(
            document_id=document_id,
            root=root,
            start_position=start_position,
            end_position=end_position,
            quote=quote,
            author_id=author_id,
            body=body,
            created_at=created_at,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
            await session.flush()
            comment_id = record.id
        found = await self.comments(document_id, ids=[comment_id])
        return found[0]

    async def comments(
        self, document_id: int, *, ids: list[int] | None = None
    ) -> list[StoredComment]:
        """The document's comments (or those of ``ids``), oldest first."""
        query = (
            select(DocumentCommentRecord, UserRecord.name, UserRecord.display_name)
            .outerjoin(UserRecord, UserRecord.id == DocumentCommentRecord.author_id)
            .where(DocumentCommentRecord.document_id == document_id)
            .order_by(DocumentCommentRecord.id)
        )
        if ids is not None:
            query = query.where(DocumentCommentRecord.id.in_(ids))
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [
            StoredComment(
                id=record.id,
                document_id=record.document_id,
                root=record.root,
                start_position=record.start_position,
                end_position=record.end_position,
                quote=record.quote,
                author=name,
                author_display_name=display_name,
                body=record.body,
                created_at=record.created_at,
            )
            for record, name, display_name in rows
        ]


def _fork(
    record: DocumentForkRecord,
    name: str,
    base_name: str,
    creator: str | None,
    merger: str | None,
) -> StoredFork:
    return StoredFork(
        document_id=record.document_id,
        name=name,
        base_document_id=record.base_document_id,
        base_name=base_name,
        base_state_vector=record.base_state_vector,
        base_seq=record.base_seq,
        created_by=creator,
        created_at=record.created_at,
        merged_at=record.merged_at,
        merged_by=merger,
        merged_seq=record.merged_seq,
    )
