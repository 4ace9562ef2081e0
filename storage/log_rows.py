"""The document log's rows as the database takes them: the updates and checkpoints to store,
and the statements and parameters that store them (storage.document_log, storage.log_append)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Table, bindparam, insert, text, update

from storage.models import DocumentRecord, UpdateRecord
from storage.prepared import Prepared


@dataclass(frozen=True)
class NewUpdate:
    """An update to store; its sequence number is taken when it is stored (``append``)."""

    document_id: int
    data: bytes
    author: str | None
    client_id: int | None
    origin: str
    created_at: datetime


@dataclass(frozen=True)
class NewCheckpoint:
    document_id: int
    seq: int
    state: bytes
    created_at: datetime


UPDATES_TABLE = cast(Table, UpdateRecord.__table__)


# PostgreSQL takes a batch as one statement of seven arrays, one per column, instead of one
# parameter set per row: a 470-row batch takes 30 % less CPU and 35 % less time
# (bench/append_batch.py)
UNNEST_INSERT = text(
    "INSERT INTO document_updates (document_id, seq, author, client_id, origin, created_at, data)"
    " SELECT * FROM unnest(CAST(:document_id AS INTEGER[]), CAST(:seq AS BIGINT[]),"
    " CAST(:author AS VARCHAR[]), CAST(:client_id AS BIGINT[]), CAST(:origin AS VARCHAR[]),"
    " CAST(:created_at AS TIMESTAMPTZ[]), CAST(:data AS BYTEA[]))"
)


# PostgreSQL, a group commit without checkpoints (all but a few): one document's updates
# numbered and stored by one statement on the driver. The document's counter is raised by
# their count and each row takes its number from its place in the arrays; no row of the
# document is locked longer than the statement (or the transaction of a batch of several
# documents). A document that does not exist raises no counter and stores nothing: the rows
# RETURNED are fewer than the updates. (bench/append_batch.py)
APPEND_RUN = Prepared(
    text(
        "WITH raised AS (UPDATE documents SET last_seq = last_seq + CAST(:count AS BIGINT)"
        " WHERE id = CAST(:document_id AS INTEGER) RETURNING last_seq)"
        " INSERT INTO document_updates"
        " (document_id, seq, author, client_id, origin, created_at, data)"
        " SELECT CAST(:document_id AS INTEGER),"
        " raised.last_seq - CAST(:count AS BIGINT) + run.ordinality,"
        " run.author, run.client_id, run.origin, run.created_at, run.data"
        " FROM raised, unnest(CAST(:author AS VARCHAR[]), CAST(:client_id AS BIGINT[]),"
        " CAST(:origin AS VARCHAR[]), CAST(:created_at AS TIMESTAMPTZ[]), CAST(:data AS BYTEA[]))"
        " WITH ORDINALITY AS run(author, client_id, origin, created_at, data, ordinality)"
        " RETURNING seq"
    ).columns(seq=BigInteger)
)


def run_columns(document_id: int, updates: Sequence[NewUpdate]) -> dict[str, Any]:
    """`APPEND_RUN`'s parameters for one document's updates, in order."""
    return {
        "document_id": document_id,
        "count": len(updates),
        "author": [u.author for u in updates],
        "client_id": [u.client_id for u in updates],
        "origin": [u.origin for u in updates],
        "created_at": [u.created_at for u in updates],
        "data": [u.data for u in updates],
    }


# SQLite, a group commit without checkpoints: each document's counter raised by its number of
# updates (the new last number RETURNED), then the rows by one executemany, in the same
# transaction (BEGIN IMMEDIATE: the write lock first); two trips to SQLite's thread
RAISE_COUNTER = Prepared(
    update(DocumentRecord)
    .where(DocumentRecord.id == bindparam("document_id"))
    .values(last_seq=DocumentRecord.last_seq + bindparam("count"))
    .returning(DocumentRecord.last_seq)
)
_ROW_COLUMNS = ("document_id", "seq", "author", "client_id", "origin", "created_at", "data")
INSERT_ROW = Prepared(insert(UPDATES_TABLE).values({c: bindparam(c) for c in _ROW_COLUMNS}))


def update_columns(updates: Sequence[NewUpdate], seqs: list[int]) -> dict[str, list[Any]]:
    return {
        "document_id": [u.document_id for u in updates],
        "seq": seqs,
        "author": [u.author for u in updates],
        "client_id": [u.client_id for u in updates],
        "origin": [u.origin for u in updates],
        "created_at": [u.created_at for u in updates],
        "data": [u.data for u in updates],
    }


def update_row(update: NewUpdate, seq: int) -> dict[str, Any]:
    return {
        "document_id": update.document_id,
        "seq": seq,
        "author": update.author,
        "client_id": update.client_id,
        "origin": update.origin,
        "created_at": update.created_at,
        "data": update.data,
    }


def checkpoint_row(checkpoint: NewCheckpoint) -> dict[str, Any]:
    return {
        "document_id": checkpoint.document_id,
        "seq": checkpoint.seq,
        "created_at": checkpoint.created_at,
        "state": checkpoint.state,
    }
