"""Engine set-up, the ``Database`` handle and programmatic migrations."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, PoolResetState
from sqlalchemy.util import greenlet_spawn

from storage.errors import StorageError
from storage.prepared import Prepared, PreparedIn, Row, runs_prepared
from storage.statements import DriverStatements, EngineStatements, Statements, Write

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_BUSY_TIMEOUT = 5.0  # seconds a SQLite connection waits for another writer
PING_TIMEOUT = 5.0
PING_AFTER_IDLE = 30.0  # seconds a pooled PostgreSQL connection may idle before a ping
IDLE_SINCE = "veche_idle_since"  # a pooled connection's info: when it was last given back
SQLITE_BEGIN_OPTION = "veche_sqlite_begin"  # "DEFERRED", "IMMEDIATE" or "NONE" (no BEGIN)
# The database holds password hashes and secret ballots: only its owner may read it.
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


def make_private_directory(path: Path) -> None:
    """Create ``path`` and its missing parents with mode 0700; existing ones keep theirs."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=PRIVATE_DIRECTORY_MODE)
            os.chmod(directory, PRIVATE_DIRECTORY_MODE)  # mkdir's mode is cut by the umask


def prepare_sqlite_file(path: Path) -> None:
    """Create the directories and the (empty) file of a SQLite database, owner-only.

    Each directory created here gets mode 0700 and a new database file 0600, created before
    SQLite opens it: SQLite creates ``-wal`` and ``-shm`` with the mode of the main file, so
    they are 0600 too. Existing directories and files keep their mode (an operator's choice).
    An empty file is a valid empty SQLite database.
    """
    make_private_directory(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # a umask may have taken the owner's write bit
    finally:
        os.close(fd)


def create_engine(url: str) -> AsyncEngine:
    """Create an async engine configured for durability.

    SQLite: creates the file owner-only (``prepare_sqlite_file``) and sets, on every connection, WAL
    journaling, ``synchronous=FULL`` (an acknowledged commit survives power loss),
    ``busy_timeout`` (the URL query ``timeout`` in seconds, default 5) and foreign keys.
    SQLAlchemy emits ``BEGIN`` itself, so reads inside a transaction share one snapshot.
    PostgreSQL: connections dropped by a restart are replaced (``_replace_dropped``).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(parsed)
        _replace_dropped(engine)

        # asyncpg's error for a connection whose protocol is stuck between two states, as
        # after the server cut it mid-operation (seen with pg_terminate_backend)
        stuck = getattr(engine.dialect.loaded_dbapi, "InternalClientError", ())

        @event.listens_for(engine.sync_engine, "handle_error")
        def _on_error(context: ExceptionContext) -> None:
            # the server refused a new connection (restarting, not accepting connections for
            # this database, too many clients), or a connection cannot be used any more: an
            # outage, as a dropped connection is
            refused = context.connection is None and not context.is_pre_ping
            if refused or isinstance(context.original_exception, stuck):
                context.is_disconnect = True

        return engine

    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        prepare_sqlite_file(Path(database))
    busy_ms = int(float(parsed.query.get("timeout", DEFAULT_BUSY_TIMEOUT)) * 1000)  # type: ignore[arg-type]
    # the pool's rollback of every returned connection is left to _on_reset below
    engine = create_async_engine(parsed, pool_reset_on_return=None)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN (see _on_begin): sqlite3's legacy mode skips it for SELECT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        if mode == "NONE":
            return
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"{SQLITE_BEGIN_OPTION}={mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(
        _dbapi_connection: Any, record: ConnectionPoolEntry, state: PoolResetState
    ) -> None:
        # A connection going back to the pool is rolled back only if a transaction is open:
        # the rollback is a trip to aiosqlite's thread (~0.05 ms of CPU), and most
        # connections come back with none (committed, or rolled back by SQLAlchemy already).
        driver = record.driver_connection
        if state.asyncio_safe and driver is not None and _in_transaction(driver):
            record.dbapi_connection.rollback()  # type: ignore[union-attr]

    return engine


def _in_transaction(driver: Any) -> bool:
    """Whether an aiosqlite connection has a transaction open (True if it cannot tell: a
    rollback is then tried, as the pool always did)."""
    try:
        return bool(driver.in_transaction)
    except ValueError:  # closed meanwhile
        return True


def _replace_dropped(engine: AsyncEngine) -> None:
    """Give out no pooled PostgreSQL connection that the server has dropped.

    SQLAlchemy's ``pool_pre_ping`` costs three round trips (BEGIN, a ping, ROLLBACK) at every
    checkout, several per request. Instead: a connection the server has closed (a restart,
    ``pg_terminate_backend``) is known to the driver at once and replaced, with every older
    one, as the pre-ping did; only a connection idle for over ``PING_AFTER_IDLE`` seconds,
    which a firewall may have cut without a word, is pinged first.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        is_closed = getattr(record.driver_connection, "is_closed", None)
        if is_closed is not None and is_closed():
            raise InvalidatePoolError("the server closed the connection")
        idle_since = record.info.get(IDLE_SINCE)
        if idle_since is not None and time.monotonic() - idle_since > PING_AFTER_IDLE:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:
                raise InvalidatePoolError(f"the connection failed its ping: {exc}") from exc


class Database:
    """An engine plus a session factory; one per process and database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # For a read made of ONE statement: SQLite runs it without BEGIN … ROLLBACK around it
        # (a single statement sees one snapshot anyway), two round trips to its thread fewer
        # (~0.2 ms of CPU). A read of several statements that must agree uses `sessionmaker`.
        self.single_reads = async_sessionmaker(
            self.engine.execution_options(**{SQLITE_BEGIN_OPTION: "NONE"}),
            expire_on_commit=False,
        )
        self.prepared_runs = runs_prepared(self.engine.dialect)

    @property
    def dialect(self) -> str:
        """The dialect name: ``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    async def read(self, prepared: Prepared, **params: Any) -> list[Row]:
        """The rows of one prepared statement (storage/prepared.py), run outside a
        transaction on a pooled connection: one call to the driver."""
        return (await self.read_several((prepared, params)))[0]

    async def read_keys(
        self, prepared: PreparedIn, keys: Collection[Any], **params: Any
    ) -> list[Row]:
        """The rows a `PreparedIn` reads for ``keys``: one call to the driver on SQLite, one
        round trip per 500 keys on PostgreSQL."""
        if not keys:
            return []
        return [
            row for rows in await self.read_several(*prepared.reads(keys, **params)) for row in rows
        ]

    async def read_several(self, *reads: Write) -> list[list[Row]]:
        """The rows of each prepared statement, run one after the other outside a
        transaction (each sees its own snapshot): one call to the driver on SQLite."""
        if not self.prepared_runs:
            async with self.engine.connect() as connection:
                return await EngineStatements(connection).several(*reads)
        raw = await self._raw_connection()
        try:
            statements = DriverStatements(raw, self.engine.dialect, transaction=False)
            return await statements.several(*reads)
        finally:
            await greenlet_spawn(raw.close)

    async def write_alone(self, prepared: Prepared, **params: Any) -> list[Row]:
        """Run one writing statement on its own, outside an explicit transaction: PostgreSQL
        commits it by itself (one round trip, where BEGIN and COMMIT would add two); the rows
        it RETURNS. PostgreSQL's driver only: SQLite's module would leave it uncommitted."""
        if not self.prepared_runs or self.dialect != "postgresql":
            raise ValueError("write_alone runs on PostgreSQL's driver only")
        return (await self.read_several((prepared, params)))[0]

    async def _raw_connection(self) -> PoolProxiedConnection:
        """A pooled connection for prepared statements. The pool raises the driver's own
        error when it cannot connect (the database is down); it comes out as SQLAlchemy's,
        as `engine.connect()` would raise it, so that callers tell outages apart as usual."""
        try:
            return await self.engine.raw_connection()
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                None, None, exc, self.engine.dialect.loaded_dbapi.Error, connection_invalidated=True
            ) from exc

    @contextlib.asynccontextmanager
    async def prepared_writing(self) -> AsyncIterator[Statements]:
        """A write transaction of prepared statements on one connection, begun as
        `writing` begins one (``BEGIN IMMEDIATE`` on SQLite), committed on exit and rolled
        back on an error: for a short write on the hot path (storage/prepared.py)."""
        if not self.prepared_runs:
            async with self.engine.connect() as connection:
                await connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
                async with connection.begin():
                    yield EngineStatements(connection)
            return
        raw = await self._raw_connection()
        statements = DriverStatements(raw, self.engine.dialect, transaction=True)
        try:
            try:
                yield statements
                await statements.finish()
            except BaseException:
                await statements.abandon()
                raise
        finally:
            await greenlet_spawn(raw.close)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that writes, committed on exit.

        On SQLite the transaction takes the write lock at ``BEGIN IMMEDIATE`` (waiting up to
        ``busy_timeout`` for another writer), so it may read first and write then: a deferred
        transaction that reads, then writes after another writer committed, fails at once with
        ``database is locked`` instead of waiting. PostgreSQL ignores the option; lock the rows
        a decision depends on there (``SELECT … FOR UPDATE``).
        """
        async with self.sessionmaker() as session, session.begin():
            await session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            yield session

    async def ping(self) -> None:
        """Run ``SELECT 1``.

        Raises:
            StorageError: the database did not answer within ``PING_TIMEOUT`` seconds.
        """
        try:
            async with asyncio.timeout(PING_TIMEOUT), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise StorageError(f"database unavailable: {exc}") from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.dispose()


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations inside this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade(url: str) -> None:
    """Apply every migration up to head; a no-op when the schema is current.

    Runs in one transaction (taken with ``BEGIN IMMEDIATE`` on SQLite and a transaction-level
    advisory lock on PostgreSQL, so concurrent upgrades of one database queue up).
    """
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            async with connection.begin():
                if engine.dialect.name == "postgresql":
                    await connection.execute(text("SELECT pg_advisory_xact_lock(7462830195)"))
                await connection.run_sync(_upgrade_head)
    finally:
        await engine.dispose()


def _upgrade_head(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
