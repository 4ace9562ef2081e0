"""The document log's rows as the database takes them: the updates and checkpoints to store,
and the statements and parameters that store them (storage.document_log)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, text

from storage.models import UpdateRecord


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
