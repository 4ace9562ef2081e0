"""The group commit's transaction: a batch of one document's updates stored by
`DocumentLog.append` beside the transactions it ran before. On PostgreSQL `append` is one
statement on the driver that numbers and inserts them (`APPEND_RUN`), against a session that
raised the document's counter and then inserted column arrays (`INSERT … SELECT FROM
unnest(…)`) and the rows one parameter set at a time. On SQLite it is the counter raised and
the rows in one executemany on the driver, against the rows through a session.

    .venv/bin/python bench/append_batch.py [--database postgresql|sqlite] [--rows 470]
        [--appends 40] [--runs 3]

Works in a new database (PostgreSQL on 127.0.0.1:5432, dropped afterwards; SQLite in a
temporary file). Each run appends ``--appends`` batches of ``--rows`` updates (40-byte
payloads, one document) after 5 to warm up, the ways in turn (reversed every other run), and
prints the wall time and this process's CPU time (SQLite's thread included) per batch; the
medians over the runs last. 470 rows is the batch size seen under the saturation load
(docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.database import Database, upgrade
from storage.document_log import DocumentLog, _take_numbers
from storage.log_rows import UNNEST_INSERT, UPDATES_TABLE, NewUpdate, update_columns, update_row

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"  # trust auth, as bench/run uses
Append = Callable[[Sequence[NewUpdate]], Awaitable[object]]


async def unnest_session(database: Database, updates: Sequence[NewUpdate]) -> None:
    """PostgreSQL's transaction before: the counter raised, then the column arrays."""
    async with database.sessionmaker() as session, session.begin():
        seqs, _ = await _take_numbers(session, updates, ())
        await session.execute(UNNEST_INSERT, update_columns(updates, seqs))


async def row_by_row(database: Database, updates: Sequence[NewUpdate]) -> None:
    """The first transaction (SQLite's before): the counter raised in a session, the rows
    as a list of parameter sets."""
    async with database.sessionmaker() as session, session.begin():
        seqs, _ = await _take_numbers(session, updates, ())
        rows = [update_row(u, seq) for u, seq in zip(updates, seqs, strict=True)]
        await session.execute(insert(UPDATES_TABLE), rows)


async def measure(
    append: Append, batch: Callable[[], list[NewUpdate]], count: int
) -> tuple[float, float]:
    for _ in range(5):
        await append(batch())
    wall = cpu = 0.0
    for _ in range(count):
        rows = batch()
        started, used = time.perf_counter(), time.process_time()
        await append(rows)
        wall += time.perf_counter() - started
        cpu += time.process_time() - used
    return wall / count * 1000, cpu / count * 1000


async def compare(url: str, rows: int, appends: int, runs: int) -> None:
    await upgrade(url)
    async with Database(url) as database:
        log = DocumentLog(database)
        document = await log.ensure_document("bench")

        def batch() -> list[NewUpdate]:
            now = datetime.now(UTC)
            return [
                NewUpdate(document.id, os.urandom(40), "Мария", 1234, "connection", now)
                for _ in range(rows)
            ]

        ways: dict[str, Append] = {"DocumentLog.append": log.append}
        if database.dialect == "postgresql":
            ways["unnest in a session"] = lambda updates: unnest_session(database, updates)
        ways["row by row"] = lambda updates: row_by_row(database, updates)
        figures: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
        for run in range(runs):
            turn = list(ways.items())
            for way, append in turn if run % 2 == 0 else reversed(turn):
                wall, cpu = await measure(append, batch, appends)
                figures[way].append((wall, cpu))
                print(f"run {run} {way}: {wall:.2f} ms wall, {cpu:.2f} ms CPU per batch")
        print(f"medians of {runs} runs, {rows} rows a batch ({database.dialect}):")
        for way, values in figures.items():
            wall = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            print(f"  {way}: {wall:.2f} ms wall, {cpu:.2f} ms CPU")


async def main(database: str, rows: int, appends: int, runs: int) -> None:
    if database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="veche-append-") as scratch:
            await compare(f"sqlite+aiosqlite:///{scratch}/bench.db", rows, appends, runs)
        return
    name = f"veche_append_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await compare(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", rows, appends, runs)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="bench/append_batch.py")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--rows", type=int, default=470)
    parser.add_argument("--appends", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.database, options.rows, options.appends, options.runs))
