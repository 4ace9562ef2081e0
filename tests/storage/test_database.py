from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError

from storage.database import Database, create_engine
from storage.errors import StorageError
from storage.models import DocumentRecord
from storage.prepared import Prepared
from tests.support.services import postgres_admin_url


async def test_sqlite_connections_are_durable(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "veche.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()
    assert path.exists()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }


async def test_sqlite_busy_timeout_comes_from_the_url(sqlite_url: str) -> None:
    engine = create_engine(f"{sqlite_url}?timeout=0.25")
    try:
        async with engine.connect() as connection:
            busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    finally:
        await engine.dispose()
    assert busy == 250


async def test_sqlite_reads_in_a_transaction_share_one_snapshot(sqlite_url: str) -> None:
    async with Database(sqlite_url) as database, database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (x INTEGER)"))
    async with Database(sqlite_url) as database:
        async with database.engine.connect() as reader, reader.begin():
            assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar() == 0
            async with database.engine.begin() as writer:
                await writer.execute(text("INSERT INTO t VALUES (1)"))
            assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        async with database.engine.connect() as reader:
            assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar() == 1


async def test_ping(database: Database) -> None:
    await database.ping()


async def test_ping_raises_storage_error_when_unreachable() -> None:
    async with Database("postgresql+asyncpg://postgres@127.0.0.1:1/none") as database:
        with pytest.raises(StorageError, match="database unavailable"):
            await database.ping()


@pytest.mark.parametrize(
    "url",
    ["postgresql+asyncpg://postgres@127.0.0.1:1/none", "sqlite+aiosqlite:////nonexistent/dir/x.db"],
)
async def test_prepared_reads_and_writes_raise_sqlalchemy_errors_when_unreachable(
    url: str,
) -> None:
    """The pool gives the driver's own error when it cannot connect; callers catch what
    `engine.connect()` raises (SQLAlchemy's errors, or OSError for a refused connection), so
    it is translated."""
    reads = Prepared(select(DocumentRecord.id).where(DocumentRecord.name == bindparam("name")))
    async with Database(url) as database:
        with pytest.raises((DBAPIError, OSError)):
            await database.read(reads, name="x")
        with pytest.raises((DBAPIError, OSError)):
            async with database.prepared_writing() as statements:
                await statements.all(reads, name="x")


@pytest.mark.postgres
async def test_a_connection_the_server_cut_is_reported_lost_and_not_used_again(
    postgres_url: str,
) -> None:
    backend = Prepared(select(func.pg_backend_pid()))
    admin = create_engine(postgres_admin_url())
    cut: list[int] = []

    async def read_across_a_cut(database: Database) -> None:
        async with database.prepared_writing() as statements:
            [(pid,)] = await statements.all(backend)
            cut.append(pid)
            async with admin.connect() as connection:  # waits until the backend has ended
                await connection.execute(text(f"SELECT pg_terminate_backend({pid}, 5000)"))
            await statements.all(backend)

    try:
        async with Database(postgres_url) as database:
            with pytest.raises(OperationalError) as raised:
                await read_across_a_cut(database)
            assert raised.value.connection_invalidated  # an outage, not the statement's fault
            [(other,)] = await database.read(backend)  # on a new connection
            assert other not in cut
    finally:
        await admin.dispose()


@pytest.mark.postgres
async def test_a_session_whose_connection_the_server_cut_reports_an_outage(
    postgres_url: str,
) -> None:
    admin = create_engine(postgres_admin_url())
    cut: list[int] = []

    async def read_across_a_cut(database: Database) -> None:
        async with database.sessionmaker() as session, session.begin():
            pid = (await session.execute(select(func.pg_backend_pid()))).scalar_one()
            cut.append(pid)
            async with admin.connect() as connection:  # waits until the backend has ended
                await connection.execute(text(f"SELECT pg_terminate_backend({pid}, 5000)"))
            await session.execute(select(func.pg_backend_pid()))

    try:
        async with Database(postgres_url) as database:
            with pytest.raises(DBAPIError) as raised:
                await read_across_a_cut(database)
            assert raised.value.connection_invalidated  # an outage, not the statement's fault
            async with database.sessionmaker() as session:
                other = (await session.execute(select(func.pg_backend_pid()))).scalar_one()
            assert other not in cut
    finally:
        await admin.dispose()


async def test_timestamps_come_back_aware_and_in_utc(database: Database) -> None:
    sofia = timezone(timedelta(hours=3))
    written = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=sofia)
    async with database.sessionmaker() as session, session.begin():
        session.add(DocumentRecord(name="tz", created_at=written))
    async with database.sessionmaker() as session:
        read = await session.scalar(select(DocumentRecord.created_at))
    assert read == written
    assert read is not None
    assert read.tzinfo is not None
    assert read.utcoffset() == timedelta(0)
    assert read.replace(tzinfo=None) == datetime(2025, 3, 1, 9, 30, 15, 123456)


async def test_naive_timestamps_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.sessionmaker() as session, session.begin():
            session.add(DocumentRecord(name="naive", created_at=datetime(2025, 1, 1)))
