from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from storage.database import Database, upgrade
from storage.document_log import DocumentLog, NewCheckpoint, NewUpdate
from storage.errors import StorageError, UpdateRejected
from storage.group_commit import GroupCommitter
from tests.storage.factories import checkpoint, update
from tests.support.services import postgres_admin_url

TIMEOUT = 20.0


class CommitFailures(logging.Handler):
    """Sets ``seen`` when the committer logs a failed attempt."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = asyncio.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.seen.set()


@pytest.fixture
def failures() -> Iterator[CommitFailures]:
    handler = CommitFailures()
    logger = logging.getLogger("storage.group_commit")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def test_a_burst_across_documents_is_stored_once_in_few_transactions(
    log: DocumentLog,
) -> None:
    docs = [(await log.ensure_document(f"документ-{i}")).id for i in range(5)]
    batches: list[int] = []
    async with GroupCommitter(log, on_commit=lambda _, rows: batches.append(rows)) as committer:

        async def edit(doc: int, seq: int) -> None:
            await committer.submit(update(doc, seq, data=f"{doc}:{seq}".encode()))

        edits = [edit(doc, seq) for seq in range(1, 401) for doc in docs]
        await asyncio.wait_for(asyncio.gather(*edits), TIMEOUT)
        assert committer.pending == 0

    assert sum(batches) == 2000
    assert len(batches) <= 40, batches
    for doc in docs:
        stored = await log.read_updates(doc)
        assert stored == [(seq, f"{doc}:{seq}".encode()) for seq in range(1, 401)]
        assert await log.last_seq(doc) == 400


async def test_writers_waiting_for_saves_share_transactions(log: DocumentLog) -> None:
    docs = [(await log.ensure_document(f"doc-{i}")).id for i in range(5)]
    batches: list[int] = []
    async with GroupCommitter(log, on_commit=lambda _, rows: batches.append(rows)) as committer:

        async def writer(doc: int) -> None:
            for start in range(1, 401, 10):
                saved = [committer.submit(update(doc, seq)) for seq in range(start, start + 10)]
                await asyncio.gather(*saved)

        await asyncio.wait_for(asyncio.gather(*(writer(doc) for doc in docs)), TIMEOUT)

    assert sum(batches) == 2000
    assert len(batches) <= 200  # each batch holds at least one writer's ten updates
    for doc in docs:
        assert [seq for seq, _ in await log.read_updates(doc)] == list(range(1, 401))


async def test_stop_commits_everything_pending(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    committer = GroupCommitter(log, max_delay=3600)
    await committer.start()
    futures = [committer.submit(update(doc, seq)) for seq in range(1, 101)]
    futures.append(committer.submit_checkpoint(checkpoint(doc, 100)))
    assert committer.pending == 101
    assert not any(f.done() for f in futures)

    await asyncio.wait_for(committer.stop(), TIMEOUT)

    assert all(f.done() and f.exception() is None for f in futures)
    assert committer.pending == 0
    assert await log.update_count(doc) == 100
    assert await log.list_checkpoints(doc) == [100]
    with pytest.raises(RuntimeError):
        committer.submit(update(doc, 101))


async def test_flush_commits_the_batch_being_filled(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    async with GroupCommitter(log, max_delay=3600) as committer:
        futures = [committer.submit(update(doc, seq)) for seq in range(1, 4)]
        await asyncio.wait_for(committer.flush(), TIMEOUT)
        assert all(f.done() for f in futures)
        assert await log.update_count(doc) == 3
        await committer.flush()  # nothing pending: returns at once


async def test_checkpoints_commit_with_or_after_earlier_updates(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    async with GroupCommitter(log, max_batch=3) as committer:
        updates = [committer.submit(update(doc, seq)) for seq in range(1, 11)]
        saved = committer.submit_checkpoint(checkpoint(doc, 10))
        seen_when_saved: list[bool] = []
        saved.add_done_callback(lambda _: seen_when_saved.extend(f.done() for f in updates))
        later = [committer.submit(update(doc, seq)) for seq in range(11, 13)]
        await asyncio.wait_for(asyncio.gather(saved, *later), TIMEOUT)

    assert seen_when_saved == [True] * 10
    state = await log.load("d")
    assert (state.checkpoint_seq, len(state.updates), state.last_seq) == (10, 2, 12)


async def test_a_submitter_giving_up_does_not_lose_its_update(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    async with GroupCommitter(log, max_delay=3600) as committer:
        committer.submit(update(doc, 1)).cancel()
        await asyncio.wait_for(committer.flush(), TIMEOUT)
    assert await log.update_count(doc) == 1


class AnswerLost(DocumentLog):
    """The real log, except that the first commit's answer is lost after it committed."""

    lost = False

    async def append(
        self, updates: Sequence[NewUpdate], checkpoints: Sequence[NewCheckpoint] = ()
    ) -> list[int]:
        seqs = await super().append(updates, checkpoints)
        if not self.lost:
            self.lost = True
            raise OperationalError("COMMIT", {}, ConnectionResetError("connection reset"))
        return seqs


async def test_a_commit_whose_answer_was_lost_is_not_stored_twice(
    database: Database, log: DocumentLog, failures: CommitFailures
) -> None:
    doc = (await log.ensure_document("d")).id
    flaky = AnswerLost(database)
    async with GroupCommitter(flaky, max_delay=3600) as committer:
        first = [committer.submit(update(doc, seq)) for seq in (1, 2)]
        await asyncio.wait_for(committer.flush(), TIMEOUT)
        later = committer.submit(update(doc, 3))
        await asyncio.wait_for(committer.flush(), TIMEOUT)
        assert await asyncio.wait_for(asyncio.gather(*first, later), TIMEOUT) == [1, 2, 3]
    assert flaky.lost
    assert any("stored after all" in message for message in failures.messages)
    assert await log.read_updates(doc) == [(n, f"update {doc}/{n}".encode()) for n in (1, 2, 3)]


async def test_numbers_are_taken_in_order_per_document(log: DocumentLog) -> None:
    one, two = [(await log.ensure_document(name)).id for name in ("one", "two")]
    async with GroupCommitter(log) as committer:
        numbers = await asyncio.wait_for(
            asyncio.gather(*(committer.submit(update(d, 1)) for d in (one, two, one, one, two))),
            TIMEOUT,
        )
    assert numbers == [1, 1, 2, 3, 2]
    assert (await log.last_seq(one), await log.last_seq(two)) == (3, 2)


async def test_a_refused_row_fails_alone(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, 1)])
    async with GroupCommitter(log) as committer:
        unknown = committer.submit(update(doc + 100, 1))
        fine = committer.submit(update(doc, 2))
        lost_checkpoint = committer.submit_checkpoint(checkpoint(doc + 100, 1))
        with pytest.raises(UpdateRejected, match="does not exist"):
            await asyncio.wait_for(unknown, TIMEOUT)
        with pytest.raises(UpdateRejected, match="does not exist"):
            await asyncio.wait_for(lost_checkpoint, TIMEOUT)
        assert await asyncio.wait_for(fine, TIMEOUT) == 2
        # The committer carries on with whole batches afterwards.
        assert await asyncio.wait_for(committer.submit(update(doc, 3)), TIMEOUT) == 3
    assert await log.read_updates(doc, upto_seq=2) == [(1, b"update 1/1"), (2, b"update 1/2")]


async def test_rows_that_could_never_be_stored_are_refused_at_once(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    naive = datetime(2025, 1, 1)
    bad = [
        replace(update(doc, 1), created_at=naive),
        update(doc, 1, client_id=2**64),
        update(doc, 1, origin="o" * 33),
        update(doc, 1, author="я" * 256),
        update(doc, 1, data="text"),  # type: ignore[arg-type]
    ]
    async with GroupCommitter(log) as committer:
        for row in bad:
            with pytest.raises(ValueError, match=r"must be|out of range|longer than"):
                committer.submit(row)
        with pytest.raises(ValueError, match="timezone-aware"):
            committer.submit_checkpoint(replace(checkpoint(doc, 1), created_at=naive))
        with pytest.raises(ValueError, match="out of range"):
            committer.submit_checkpoint(checkpoint(doc, -1))
        assert committer.pending == 0


async def test_submit_needs_a_running_committer(log: DocumentLog) -> None:
    committer = GroupCommitter(log)
    with pytest.raises(RuntimeError):
        committer.submit(update(1, 1))
    with pytest.raises(ValueError, match="max_batch"):
        GroupCommitter(log, max_batch=0)


async def test_a_locked_sqlite_database_delays_but_loses_nothing(
    sqlite_url: str, failures: CommitFailures
) -> None:
    await upgrade(sqlite_url)
    async with Database(f"{sqlite_url}?timeout=0.05") as database:
        log = DocumentLog(database)
        doc = (await log.ensure_document("d")).id
        path = make_url(sqlite_url).database
        assert path is not None
        blocker = sqlite3.connect(path, isolation_level=None)
        try:
            blocker.execute("BEGIN EXCLUSIVE")
            async with GroupCommitter(log) as committer:
                futures = [committer.submit(update(doc, seq)) for seq in range(1, 51)]
                await asyncio.wait_for(failures.seen.wait(), TIMEOUT)
                assert "retrying" in failures.messages[0]
                assert not any(f.done() for f in futures)
                assert committer.pending == 50
                blocker.execute("ROLLBACK")
                await asyncio.wait_for(asyncio.gather(*futures), TIMEOUT)
        finally:
            blocker.close()
        assert [seq for seq, _ in await log.read_updates(doc)] == list(range(1, 51))


async def test_cancelling_stop_fails_what_was_not_committed(
    sqlite_url: str, failures: CommitFailures
) -> None:
    await upgrade(sqlite_url)
    async with Database(f"{sqlite_url}?timeout=0.05") as database:
        log = DocumentLog(database)
        doc = (await log.ensure_document("d")).id
        path = make_url(sqlite_url).database
        assert path is not None
        blocker = sqlite3.connect(path, isolation_level=None)
        try:
            blocker.execute("BEGIN EXCLUSIVE")
            committer = GroupCommitter(log)
            await committer.start()
            future = committer.submit(update(doc, 1))
            await asyncio.wait_for(failures.seen.wait(), TIMEOUT)
            with pytest.raises(TimeoutError):  # the lock outlasts our patience
                await asyncio.wait_for(committer.stop(), 0.2)
            with pytest.raises(StorageError, match="cancelled"):
                await asyncio.wait_for(future, TIMEOUT)
        finally:
            blocker.close()


@pytest.mark.postgres
async def test_a_postgres_outage_delays_but_loses_nothing(
    postgres_url: str, failures: CommitFailures
) -> None:
    await upgrade(postgres_url)
    name = make_url(postgres_url).database
    async with Database(postgres_url) as database, Database(postgres_admin_url()) as admin:
        log = DocumentLog(database)
        doc = (await log.ensure_document("d")).id
        async with GroupCommitter(log) as committer:
            await asyncio.wait_for(committer.submit(update(doc, 1)), TIMEOUT)
            async with admin.engine.connect() as connection:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                try:
                    await connection.exec_driver_sql(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                    )
                    futures = [committer.submit(update(doc, seq)) for seq in range(2, 52)]
                    await asyncio.wait_for(failures.seen.wait(), TIMEOUT)
                    assert not any(f.done() for f in futures)
                finally:
                    await connection.exec_driver_sql(
                        f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'
                    )
            await asyncio.wait_for(asyncio.gather(*futures), TIMEOUT)
        assert [seq for seq, _ in await log.read_updates(doc)] == list(range(1, 52))
