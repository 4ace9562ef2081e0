"""Builders of log rows for storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.document_log import NewCheckpoint, NewUpdate

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def update(
    document_id: int,
    seq: int,
    *,
    data: bytes | None = None,
    author: str | None = "ana",
    client_id: int | None = 1,
    at: datetime | None = None,
    origin: str = "connection",
) -> NewUpdate:
    """An update row expected to take ``seq`` (numbers are taken when stored, in order); by
    default one second after the previous one."""
    return NewUpdate(
        document_id=document_id,
        data=f"update {document_id}/{seq}".encode() if data is None else data,
        author=author,
        client_id=client_id,
        origin=origin,
        created_at=T0 + timedelta(seconds=seq) if at is None else at,
    )


def checkpoint(document_id: int, seq: int, state: bytes | None = None) -> NewCheckpoint:
    return NewCheckpoint(
        document_id=document_id,
        seq=seq,
        state=f"state {document_id}@{seq}".encode() if state is None else state,
        created_at=T0 + timedelta(seconds=seq),
    )
