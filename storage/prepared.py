"""Statements on the hot path of a request: compiled once, run on the driver's connection with
one call each.

Through SQLAlchemy's async execution an ORM read of one statement costs five or six trips to
aiosqlite's worker thread (open a cursor, execute, fetch, close the cursor, and one or two
rollbacks when the session closes) and builds a session, a result and a cache key each time:
0.4 to 0.8 ms of server CPU per read under `bench/rest_cpu.py`. A `Prepared` statement is
compiled once per dialect; running it hands the SQL and its parameters to the driver in one
call and converts the values with the columns' own types, as SQLAlchemy would. Several
statements go to SQLite's thread in one call (`Statements.several`); asyncpg keeps each
statement prepared on its connection and answers it in one round trip.

`Database.read` and `read_several` run statements (storage/statements.py, with the driver
runners here) on a pooled connection, outside a transaction (each statement sees its own
snapshot); `Database.prepared_writing` gives a write transaction on one connection for a
short write, its BEGIN sent with the first statements and its COMMIT with the last
(`commit_after`). Driver errors come out as SQLAlchemy's: `IntegrityError`,
`OperationalError` and the rest of the `DBAPIError` family. A driver other than aiosqlite and
asyncpg runs the same statements through SQLAlchemy.

Parameters are `bindparam`s named by the caller; constants in a statement keep their values.
Lists for `IN` (expanding parameters) are refused when a statement is compiled: a read by a
set of keys is a `PreparedIn`, compiled once per list size (a few sizes; the keys padded to the
next one). An UPDATE or INSERT says what it changed with RETURNING (the driver calls
give no row count).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.sql.expression import (
    ColumnElement,
    Executable,
    Insert,
    Select,
    TextualSelect,
    Update,
)

Processor = Callable[[Any], Any] | None
Row = tuple[Any, ...]

# asyncpg's errors are not the DB-API's; their SQLSTATE class says which of SQLAlchemy's
# errors they are (the ones callers tell apart)
SQLSTATE_CLASSES: dict[str, type[DBAPIError]] = {
    "08": OperationalError,  # connection exception
    "22": DataError,
    "23": IntegrityError,
    "42": ProgrammingError,
    "53": OperationalError,  # insufficient resources (too many connections…)
    "57": OperationalError,  # operator intervention (shutdown, a cancelled statement)
}
# SQLSTATEs after which the server has closed the connection: class 08, and 57P01-57P04
# (shut down by an administrator or a crash, cannot connect now, the database dropped)
CONNECTION_GONE = ("08", "57P")


@dataclass(frozen=True)
class Compiled:
    """A statement in one dialect's SQL, with what turns values into and out of it."""

    sql: str
    names: tuple[str, ...]  # the parameters in the order the SQL takes them
    constants: dict[str, Any]  # the statement's own values, by parameter name
    binders: tuple[Processor, ...]  # per parameter, as `names`
    readers: tuple[Processor, ...]  # per column of the answer
    dbapi_error: type[Exception]

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        values = []
        for name, binder in zip(self.names, self.binders, strict=True):
            value = params[name] if name in params else self.constants[name]
            values.append(value if binder is None else binder(value))
        return values

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[Row]:
        readers = self.readers
        if not any(readers):
            return [tuple(row) for row in fetched]
        return [
            tuple(
                value if read is None else read(value)
                for value, read in zip(row, readers, strict=True)
            )
            for row in fetched
        ]

    def error(self, exc: Exception, arguments: list[Any]) -> BaseException:
        """The driver's error as SQLAlchemy's (IntegrityError, OperationalError…)."""
        sqlstate = getattr(exc, "sqlstate", None)
        if not isinstance(exc, self.dbapi_error) and isinstance(sqlstate, str):
            kind = SQLSTATE_CLASSES.get(sqlstate[:2], DBAPIError)
            return kind(self.sql, arguments, exc)
        return DBAPIError.instance(self.sql, arguments, exc, self.dbapi_error)


class Prepared:
    """A Core statement (SELECT, INSERT or UPDATE, or a text with its columns) compiled once
    per dialect. Made by
    `built`, the statement is built when it is compiled and not kept: a statement of 500
    parameters weighs most of a megabyte as objects, its compiled SQL a few kilobytes."""

    def __init__(self, statement: Select[Any] | Insert | Update | TextualSelect) -> None:
        self._statement: Executable | None = statement
        self._build: Callable[[], Executable] | None = None
        self._by_dialect: dict[tuple[str, str], Compiled] = {}

    @classmethod
    def built(cls, build: Callable[[], Select[*tuple[Any, ...]]]) -> Prepared:
        prepared = cls.__new__(cls)
        prepared._statement, prepared._build, prepared._by_dialect = None, build, {}
        return prepared

    @property
    def statement(self) -> Executable:
        if self._statement is not None:
            return self._statement
        assert self._build is not None
        return self._build()

    def compiled(self, dialect: Dialect) -> Compiled:
        key = (dialect.name, dialect.driver)
        found = self._by_dialect.get(key)
        if found is None:
            found = self._by_dialect[key] = _compile(self.statement, dialect)
        return found


def _compile(statement: Executable, dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ())
    binds = [compiled.binds[name] for name in names]
    if any(bind.expanding or bind.literal_execute for bind in binds):
        raise ValueError("prepared statements take no IN lists")
    defaulted = [*compiled.insert_prefetch, *compiled.update_prefetch]
    if defaulted:  # SQLAlchemy computes these at execution, which the driver does not do
        left = ", ".join(column.name for column in defaulted)
        raise ValueError(f"a prepared statement gives every column with a default a value: {left}")
    columns = statement.exported_columns  # type: ignore[attr-defined]  # SELECT or RETURNING
    return Compiled(
        sql=compiled.string,
        names=names,
        # the caller's parameters are required; the rest are the statement's own constants
        constants={
            n: b.effective_value for n, b in zip(names, binds, strict=True) if not b.required
        },
        binders=tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds),
        readers=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
        dbapi_error=dialect.loaded_dbapi.Error,
    )


IN_SIZES = (1, 4, 16, 64, 256, 500)  # the list sizes a `PreparedIn` is compiled for


class PreparedIn:
    """A SELECT over a set of keys, ``WHERE key IN (…)``, as prepared statements: ``build``
    makes the statement from the list's bound parameters. A set of keys is read in lists of
    at most 500, each padded with repeats of its last key to the next of `IN_SIZES`, so that
    six statements per dialect serve every size and stay in the drivers' statement caches."""

    def __init__(self, build: Callable[[list[ColumnElement[Any]]], Select[*tuple[Any, ...]]]):
        self._build = build
        self._by_size: dict[int, Prepared] = {}

    def _prepared(self, size: int) -> Prepared:
        found = self._by_size.get(size)
        if found is None:
            found = self._by_size[size] = Prepared.built(
                lambda: self._build([bindparam(f"k{i}") for i in range(size)])
            )
        return found

    def reads(self, keys: Collection[Any], **params: Any) -> list[tuple[Prepared, dict[str, Any]]]:
        """The statements that read ``keys`` (with the statement's other ``params``)."""
        ordered = list(keys)
        reads = []
        for start in range(0, len(ordered), IN_SIZES[-1]):
            chunk = ordered[start : start + IN_SIZES[-1]]
            size = next(size for size in IN_SIZES if size >= len(chunk))
            chunk += [chunk[-1]] * (size - len(chunk))
            bound = dict(params)
            bound.update((f"k{i}", key) for i, key in enumerate(chunk))
            reads.append((self._prepared(size), bound))
        return reads


@dataclass(frozen=True)
class Step:
    """A statement to run: its SQL and arguments, and what compiled it (None for BEGIN,
    COMMIT and ROLLBACK)."""

    sql: str
    arguments: Sequence[Any] = ()
    compiled: Compiled | None = None
    many: bool = False  # ``arguments`` holds one argument list per run of the statement


class StepFailed(Exception):
    """The driver refused the step at ``index`` of a run with ``error``."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index, self.error = index, error


Fetched = list[Sequence[Sequence[Any]]]  # per step, the rows the driver gave


async def _sqlite_run(driver: Any, steps: list[Step]) -> Fetched:
    """The steps in one trip to aiosqlite's worker thread, which runs every call on its
    connection anyway: handing it the list at once saves a trip (thread wake-ups and a
    loop wake-up, ~0.1 ms of CPU) per statement. It reaches into aiosqlite's `_execute` and
    `_conn`, as SQLAlchemy's own aiosqlite dialect reaches into its queue and connection;
    without them each step is one public `execute_fetchall`."""
    if hasattr(driver, "_execute"):
        fetched: Fetched = await driver._execute(_sqlite_steps, driver, steps)
        return fetched
    results: Fetched = []
    for index, step in enumerate(steps):
        try:
            if step.many:
                await driver.executemany(step.sql, step.arguments)
                results.append([])
            else:
                results.append(await driver.execute_fetchall(step.sql, step.arguments))
        except Exception as exc:
            raise StepFailed(index, exc) from exc
    return results


def _sqlite_steps(driver: Any, steps: list[Step]) -> Fetched:
    """Runs on aiosqlite's worker thread: plain sqlite3 calls, no Python object of the
    event loop's."""
    connection = driver._conn
    results: Fetched = []
    for index, step in enumerate(steps):
        try:
            if step.many:
                connection.executemany(step.sql, step.arguments)
                results.append([])
            else:
                results.append(connection.execute(step.sql, step.arguments).fetchall())
        except Exception as exc:
            raise StepFailed(index, exc) from exc
    return results


async def _asyncpg_run(driver: Any, steps: list[Step]) -> Fetched:
    """One round trip per step: asyncpg keeps each statement prepared on the connection."""
    results: Fetched = []
    for index, step in enumerate(steps):
        try:
            if step.compiled is None:
                await driver.execute(step.sql)  # BEGIN, COMMIT, ROLLBACK: simple protocol
                results.append([])
            elif step.many:
                await driver.executemany(step.sql, step.arguments)
                results.append([])
            else:
                results.append(await driver.fetch(step.sql, *step.arguments))
        except Exception as exc:
            raise StepFailed(index, exc) from exc
    return results


@dataclass(frozen=True)
class Driver:
    """How to run steps in as few calls as the driver allows, and what it begins with."""

    run: Callable[[Any, list[Step]], Awaitable[Fetched]]
    in_transaction: Callable[[Any], bool]
    begin: str  # a write transaction's first statement


DRIVERS = {
    # BEGIN IMMEDIATE: the write lock first, as Database.writing takes it (docs/storage.md)
    "aiosqlite": Driver(_sqlite_run, lambda driver: bool(driver.in_transaction), "BEGIN IMMEDIATE"),
    "asyncpg": Driver(_asyncpg_run, lambda driver: bool(driver.is_in_transaction()), "BEGIN"),
}


def runs_prepared(dialect: Dialect) -> bool:
    """Whether statements run on this dialect's driver directly (else through SQLAlchemy)."""
    return dialect.driver in DRIVERS
