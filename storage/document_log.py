"""The document log: documents, their append-only updates, checkpoints and history.

Write transactions start with a write, never with a read: on SQLite a transaction that reads
first and then writes fails at once (``SQLITE_BUSY``) when another writer committed meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Insert, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.errors import DocumentNotFound, UnknownDocument
from storage.history import HistoryPage, Version, VersionGrouper, decode_cursor, encode_cursor
from storage.log_append import append_after_raising, append_runs
from storage.log_rows import (
    UNNEST_INSERT,
    UPDATES_TABLE,
    NewCheckpoint,
    NewUpdate,
    checkpoint_row,
    update_columns,
    update_row,
)
from storage.models import CheckpointRecord, DocumentRecord, UpdateRecord, utc_now
from storage.records import detached

__all__ = [
    "DocumentLog",
    "HistoryPage",
    "LoadedState",
    "NewCheckpoint",
    "NewUpdate",
    "StoredDocument",
    "Version",
]

HISTORY_CHUNK = 1000  # rows read per query while grouping history into versions
RECOGNISE_WINDOW = 1000  # newest rows searched for an update whose commit was not confirmed


@dataclass(frozen=True)
class StoredDocument:
    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True)
class LoadedState:
    document: StoredDocument
    checkpoint: bytes | None
    checkpoint_seq: int
    updates: list[bytes]
    last_seq: int


class DocumentLog:
    """Reads and appends the document log; every method is one unit of work."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker

    async def ensure_document(self, name: str) -> StoredDocument:
        """Return the document called ``name``, creating it if needed (safe under races)."""
        found = await self.find_document(name)
        if found is not None:
            return found
        record = DocumentRecord(name=name, created_at=utc_now())
        try:
            async with self._sessions() as session, session.begin():
                session.add(record)
        except IntegrityError:
            found = await self.find_document(name)
            if found is None:
                raise
            return found
        return detached(StoredDocument, record)

    async def find_document(self, name: str) -> StoredDocument | None:
        """Return the document called ``name``, or None."""
        async with self._sessions() as session:
            record = await session.scalar(select(DocumentRecord).where(DocumentRecord.name == name))
            return None if record is None else detached(StoredDocument, record)

    async def load(self, name: str, *, upto_seq: int | None = None) -> LoadedState:
        """Read what is needed to rebuild a document: a checkpoint and the updates after it.

        Args:
            name: the document name.
            upto_seq: rebuild the state as of this sequence number (default: the newest).

        Raises:
            DocumentNotFound: no document is called ``name``.
        """
        async with self._sessions() as session, session.begin():
            record = await session.scalar(select(DocumentRecord).where(DocumentRecord.name == name))
            if record is None:
                raise DocumentNotFound(name)
            query = (
                select(CheckpointRecord.seq, CheckpointRecord.state)
                .where(CheckpointRecord.document_id == record.id)
                .order_by(CheckpointRecord.seq.desc())
                .limit(1)
            )
            if upto_seq is not None:
                query = query.where(CheckpointRecord.seq <= upto_seq)
            checkpoint = (await session.execute(query)).first()
            checkpoint_seq = 0 if checkpoint is None else checkpoint.seq
            tail = (
                select(UpdateRecord.seq, UpdateRecord.data)
                .where(UpdateRecord.document_id == record.id, UpdateRecord.seq > checkpoint_seq)
                .order_by(UpdateRecord.seq)
            )
            if upto_seq is not None:
                tail = tail.where(UpdateRecord.seq <= upto_seq)
            rows = (await session.execute(tail)).all()
        return LoadedState(
            document=detached(StoredDocument, record),
            checkpoint=None if checkpoint is None else checkpoint.state,
            checkpoint_seq=checkpoint_seq,
            updates=[row.data for row in rows],
            last_seq=rows[-1].seq if rows else checkpoint_seq,
        )

    async def append(
        self, updates: Sequence[NewUpdate], checkpoints: Sequence[NewCheckpoint] = ()
    ) -> list[int]:
        """Store updates and checkpoints in one transaction; the updates' sequence numbers.

        Each update takes its document's next number in this transaction, in the order given.
        The document's row stays locked until the commit, so numbers of one document become
        visible in order even when several nodes write it: once ``n`` is visible, so is every
        number below it. A checkpoint is stored only if it is newer than the document's newest
        (one already stored at the same number is kept), so no node ever stores one twice or
        out of order.

        Raises:
            UnknownDocument: an update names a document that does not exist.
            sqlalchemy.exc.IntegrityError: a row breaks a constraint; nothing is stored.
        """
        if not updates and not checkpoints:
            return []
        if not checkpoints and self._database.prepared_runs:
            if self._database.dialect == "postgresql":
                return await append_runs(self._database, updates)
            return await append_after_raising(self._database, updates)
        async with self._sessions() as session, session.begin():
            seqs, newer = await _take_numbers(session, updates, checkpoints)
            if updates:
                if self._database.dialect == "postgresql":
                    await session.execute(UNNEST_INSERT, update_columns(updates, seqs))
                else:
                    rows = [update_row(u, seq) for u, seq in zip(updates, seqs, strict=True)]
                    # Core, not the ORM's bulk path: the rows are plain dicts already, and
                    # this is the hot path of every edit (a third of the commit's CPU went
                    # to the ORM)
                    await session.execute(insert(UPDATES_TABLE), rows)
            if newer:
                await session.execute(
                    self._insert_checkpoints(), [checkpoint_row(c) for c in newer]
                )
        return seqs

    async def stored_numbers(self, updates: Sequence[NewUpdate]) -> dict[int, int]:
        """Which of ``updates`` are stored already, after a commit whose outcome was unknown
        (the connection broke while committing): position in ``updates`` -> sequence number.

        An update is recognised by its document, bytes and time among the document's newest
        rows; a retry after a lost acknowledgement then stores nothing twice.
        """
        found: dict[int, int] = {}
        by_document: dict[int, list[int]] = {}
        for position, item in enumerate(updates):
            by_document.setdefault(item.document_id, []).append(position)
        async with self._sessions() as session:
            for document_id, positions in by_document.items():
                query = (
                    select(UpdateRecord.seq, UpdateRecord.data, UpdateRecord.created_at)
                    .where(UpdateRecord.document_id == document_id)
                    .order_by(UpdateRecord.seq.desc())
                    .limit(len(positions) + RECOGNISE_WINDOW)
                )
                recent = {
                    (row.data, row.created_at): row.seq for row in await session.execute(query)
                }
                for position in positions:
                    item = updates[position]
                    seq = recent.get((item.data, item.created_at))
                    if seq is not None:
                        found[position] = seq
        return found

    async def read_updates(
        self, document_id: int, *, after_seq: int = 0, upto_seq: int | None = None
    ) -> list[tuple[int, bytes]]:
        """Return ``(seq, data)`` of the updates with ``after_seq < seq <= upto_seq``, ascending.

        For filling a gap seen on the bus, and for checking a row after an ambiguous commit.
        """
        query = (
            select(UpdateRecord.seq, UpdateRecord.data)
            .where(UpdateRecord.document_id == document_id, UpdateRecord.seq > after_seq)
            .order_by(UpdateRecord.seq)
        )
        if upto_seq is not None:
            query = query.where(UpdateRecord.seq <= upto_seq)
        async with self._sessions() as session:
            return [(row.seq, row.data) for row in await session.execute(query)]

    async def last_seq(self, document_id: int) -> int:
        """The highest sequence number stored for the document (update or checkpoint), or 0."""
        async with self._sessions() as session, session.begin():
            updates = await session.scalar(
                select(func.max(UpdateRecord.seq)).where(UpdateRecord.document_id == document_id)
            )
            checkpoints = await session.scalar(
                select(func.max(CheckpointRecord.seq)).where(
                    CheckpointRecord.document_id == document_id
                )
            )
        return max(updates or 0, checkpoints or 0)

    async def holds(self, document_id: int, data: bytes) -> bool:
        """Whether one of the document's newest rows holds exactly these update bytes."""
        query = (
            select(UpdateRecord.data)
            .where(UpdateRecord.document_id == document_id)
            .order_by(UpdateRecord.seq.desc())
            .limit(RECOGNISE_WINDOW)
        )
        async with self._sessions() as session:
            return any(row == data for row in await session.scalars(query))

    async def last_seqs(self, document_ids: Sequence[int]) -> dict[int, int]:
        """The highest sequence number taken by each of the documents (by id)."""
        query = select(DocumentRecord.id, DocumentRecord.last_seq).where(
            DocumentRecord.id.in_(document_ids)
        )
        async with self._sessions() as session:
            return {row.id: row.last_seq for row in await session.execute(query)}

    async def history(
        self,
        document_id: int,
        *,
        cursor: str | None = None,
        limit: int = 50,
        pause: timedelta = timedelta(minutes=1),
        newest_first: bool = True,
    ) -> HistoryPage:
        """Group the log into versions and return one page of them.

        A version is a run of consecutive updates by the same author in which no two
        neighbours are more than ``pause`` apart.

        Args:
            cursor: ``next_cursor`` of the previous page in the same direction, or None.
            limit: at most this many versions (>= 1).
            newest_first: page from the newest version back, or from the oldest forward.

        Raises:
            InvalidCursor: the cursor was not issued for this direction.
            ValueError: ``limit`` < 1.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        boundary = None if cursor is None else decode_cursor(cursor, newest_first)
        grouper = VersionGrouper(pause, limit)
        async with self._sessions() as session, session.begin():
            while not grouper.full:
                query = (
                    select(
                        UpdateRecord.seq,
                        UpdateRecord.author,
                        UpdateRecord.client_id,
                        UpdateRecord.created_at,
                    )
                    .where(UpdateRecord.document_id == document_id)
                    .limit(HISTORY_CHUNK)
                )
                if newest_first:
                    query = query.order_by(UpdateRecord.seq.desc())
                    if boundary is not None:
                        query = query.where(UpdateRecord.seq < boundary)
                else:
                    query = query.order_by(UpdateRecord.seq)
                    if boundary is not None:
                        query = query.where(UpdateRecord.seq > boundary)
                rows = (await session.execute(query)).all()
                for row in rows:
                    grouper.add(row.seq, row.author, row.client_id, row.created_at)
                    if grouper.full:
                        break
                if len(rows) < HISTORY_CHUNK:
                    break
                boundary = rows[-1].seq
        versions = grouper.finish()
        next_cursor = None
        if grouper.full:  # the page ends where its last version ends, in reading order
            next_cursor = encode_cursor(versions[-1].last_seq, newest_first)
        if newest_first:
            versions = [v.reversed() for v in versions]
        return HistoryPage(versions=versions, next_cursor=next_cursor)

    async def list_checkpoints(self, document_id: int) -> list[int]:
        """The sequence numbers of the document's checkpoints, ascending."""
        query = (
            select(CheckpointRecord.seq)
            .where(CheckpointRecord.document_id == document_id)
            .order_by(CheckpointRecord.seq)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def checkpoint_count(self, document_id: int) -> int:
        """How many checkpoints the document has."""
        query = select(func.count()).where(CheckpointRecord.document_id == document_id)
        async with self._sessions() as session:
            return (await session.scalar(query)) or 0

    async def update_count(self, document_id: int) -> int:
        """How many updates the document's log holds."""
        query = select(func.count()).where(UpdateRecord.document_id == document_id)
        async with self._sessions() as session:
            return (await session.scalar(query)) or 0

    def _insert_checkpoints(self) -> Insert:
        if self._database.dialect == "postgresql":
            return postgresql.insert(CheckpointRecord).on_conflict_do_nothing()
        if self._database.dialect == "sqlite":
            return sqlite.insert(CheckpointRecord).on_conflict_do_nothing()
        return insert(CheckpointRecord)


async def _take_numbers(
    session: AsyncSession, updates: Sequence[NewUpdate], checkpoints: Sequence[NewCheckpoint]
) -> tuple[list[int], list[NewCheckpoint]]:
    """Raise each document's counter by its number of updates and its checkpoint mark to its
    newest checkpoint: the updates' numbers in order, and the checkpoints newer than the mark.

    Documents are locked in ascending id order, so two transactions never deadlock.
    """
    counts: dict[int, int] = {}
    for item in updates:
        counts[item.document_id] = counts.get(item.document_id, 0) + 1
    marks: dict[int, list[NewCheckpoint]] = {}
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        marks.setdefault(checkpoint.document_id, []).append(checkpoint)
    next_number: dict[int, int] = {}
    newer: list[NewCheckpoint] = []
    for document_id in sorted(counts.keys() | marks.keys()):
        if document_id in counts:
            raised = await session.scalar(
                update(DocumentRecord)
                .where(DocumentRecord.id == document_id)
                .values(last_seq=DocumentRecord.last_seq + counts[document_id])
                .returning(DocumentRecord.last_seq)
            )
            if raised is None:
                raise UnknownDocument(f"document {document_id} does not exist")
            next_number[document_id] = raised - counts[document_id] + 1
        for checkpoint in marks.get(document_id, []):
            marked = await session.scalar(
                update(DocumentRecord)
                .where(
                    DocumentRecord.id == document_id,
                    DocumentRecord.checkpoint_seq < checkpoint.seq,
                )
                .values(checkpoint_seq=checkpoint.seq)
                .returning(DocumentRecord.id)
            )
            if marked is not None:
                newer.append(checkpoint)
            elif await session.get(DocumentRecord, document_id) is None:
                raise UnknownDocument(f"document {document_id} does not exist")
    seqs = []
    for item in updates:
        seqs.append(next_number[item.document_id])
        next_number[item.document_id] += 1
    return seqs, newer
