"""The group commit's transactions on the drivers, for batches of updates alone (all but the
few with a checkpoint, which `DocumentLog.append` stores through a session): on PostgreSQL
one statement per document (`APPEND_RUN`), on SQLite the counters raised and the rows in one
executemany (`RAISE_COUNTER`, `INSERT_ROW`). Both keep `append`'s contract: the numbers in
the batch's order, gap-free per document, and nothing stored when a document is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.database import Database
from storage.errors import UnknownDocument
from storage.log_rows import (
    APPEND_RUN,
    INSERT_ROW,
    RAISE_COUNTER,
    NewUpdate,
    run_columns,
    update_row,
)


async def append_runs(database: Database, updates: Sequence[NewUpdate]) -> list[int]:
    """On PostgreSQL's driver: each document's updates by one statement (`APPEND_RUN`). One
    document's is that statement, which commits by itself (one round trip); several
    documents' run in one transaction, in ascending document order (as `DocumentLog`
    locks them: two transactions never deadlock)."""
    runs = positions_of(updates)
    writes = [
        (APPEND_RUN, run_columns(document_id, [updates[p] for p in positions]))
        for document_id, positions in sorted(runs.items())
    ]
    if len(writes) == 1:
        prepared, params = writes[0]
        return numbers_of_runs(runs, [await database.write_alone(prepared, **params)])
    async with database.prepared_writing() as tx:
        return numbers_of_runs(runs, await tx.several(*writes))  # raises before the COMMIT


async def append_after_raising(database: Database, updates: Sequence[NewUpdate]) -> list[int]:
    """On SQLite's driver: the counters raised (the write lock taken first, at BEGIN
    IMMEDIATE), then the rows in one executemany with the COMMIT; two trips to SQLite's
    thread."""
    runs = positions_of(updates)
    async with database.prepared_writing() as tx:
        raised = await tx.several(
            *((RAISE_COUNTER, {"document_id": d, "count": len(p)}) for d, p in sorted(runs.items()))
        )
        seqs = numbers_after_raising(runs, raised)  # raises before anything is inserted
        rows = [update_row(u, seq) for u, seq in zip(updates, seqs, strict=True)]
        await tx.commit_after((INSERT_ROW, rows))
    return seqs


def positions_of(updates: Sequence[NewUpdate]) -> dict[int, list[int]]:
    """Each document's updates, as their positions in the batch."""
    runs: dict[int, list[int]] = {}
    for position, item in enumerate(updates):
        runs.setdefault(item.document_id, []).append(position)
    return runs


def numbers_of_runs(runs: dict[int, list[int]], stored: list[list[tuple[Any, ...]]]) -> list[int]:
    """The updates' numbers from what `APPEND_RUN` returned for each document (in ascending
    order), by their positions in the batch; UnknownDocument for a document that stored
    nothing (it does not exist)."""
    seqs = [0] * sum(len(positions) for positions in runs.values())
    for (document_id, positions), rows in zip(sorted(runs.items()), stored, strict=True):
        if len(rows) != len(positions):
            raise UnknownDocument(f"document {document_id} does not exist")
        first = min(row[0] for row in rows)  # the run's numbers follow on from its first
        for offset, position in enumerate(positions):
            seqs[position] = first + offset
    return seqs


def numbers_after_raising(
    runs: dict[int, list[int]], raised: list[list[tuple[Any, ...]]]
) -> list[int]:
    """The updates' numbers from each document's counter as `RAISE_COUNTER` left it (in
    ascending document order), by their positions in the batch; UnknownDocument for a
    document whose counter was not there to raise."""
    seqs = [0] * sum(len(positions) for positions in runs.values())
    for (document_id, positions), rows in zip(sorted(runs.items()), raised, strict=True):
        if not rows:
            raise UnknownDocument(f"document {document_id} does not exist")
        first = rows[0][0] - len(positions) + 1
        for offset, position in enumerate(positions):
            seqs[position] = first + offset
    return seqs
