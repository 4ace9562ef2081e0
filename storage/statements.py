"""Where prepared statements run (storage/prepared.py compiles them): `DriverStatements` on one
pooled connection straight to its driver, in or out of a transaction, with the driver's errors
turned into SQLAlchemy's; `EngineStatements`, the same through SQLAlchemy's execution for any
other driver. `Database.read`, `read_several`, `write_alone` and `prepared_writing` hand them
out."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import PoolProxiedConnection

from storage.prepared import CONNECTION_GONE, DRIVERS, Prepared, Row, Step, StepFailed

# a statement and its parameters, or a list of them: the statement once for each (no rows)
Write = tuple[Prepared, dict[str, Any] | list[dict[str, Any]]]


class Statements(Protocol):
    """Where prepared statements run: one connection, in or out of a transaction."""

    async def all(self, prepared: Prepared, **params: Any) -> list[Row]:
        """The statement's rows (those it RETURNS, for an UPDATE or INSERT)."""

    async def several(self, *statements: Write) -> list[list[Row]]:
        """Each statement's rows, the statements run one after the other (with one call to
        the driver where it can)."""

    async def commit_after(self, *writes: Write) -> list[list[Row]]:
        """The transaction's last statements, then its COMMIT (with one call to the driver
        where it can); each statement's rows."""


class DriverStatements:
    """Prepared statements on one pooled connection, straight to its driver. In a
    transaction, BEGIN goes with the first statement and COMMIT with the last writes
    (`commit_after`): a changed ballot is two calls to SQLite's thread instead of four."""

    def __init__(self, raw: PoolProxiedConnection, dialect: Dialect, *, transaction: bool) -> None:
        self._raw, self._dialect = raw, dialect
        self._driver = DRIVERS[dialect.driver]
        self._begin_pending, self._open = transaction, False

    async def all(self, prepared: Prepared, **params: Any) -> list[Row]:
        return (await self._run([(prepared, params)], commit=False))[0]

    async def several(self, *statements: Write) -> list[list[Row]]:
        return await self._run(list(statements), commit=False)

    async def commit_after(self, *writes: Write) -> list[list[Row]]:
        return await self._run(list(writes), commit=True)

    async def finish(self) -> None:
        """Commit what began and is not committed yet."""
        if self._open:
            await self._run([], commit=True)

    async def abandon(self) -> None:
        """Roll back whatever is open, after an error; a connection that cannot roll back
        is not used again (the error that led here is the one to report)."""
        self._begin_pending = self._open = False
        try:
            if self._raw.is_valid and self._driver.in_transaction(self._raw.driver_connection):
                await self._driver.run(self._raw.driver_connection, [Step("ROLLBACK")])
        except Exception:
            if self._raw.is_valid:
                self._raw.invalidate()

    async def _run(self, statements: list[Write], *, commit: bool) -> list[list[Row]]:
        steps = [Step(self._driver.begin)] if self._begin_pending else []
        for prepared, params in statements:
            compiled = prepared.compiled(self._dialect)
            if isinstance(params, list):
                runs = [compiled.arguments(one) for one in params]
                steps.append(Step(compiled.sql, runs, compiled, many=True))
            else:
                steps.append(Step(compiled.sql, compiled.arguments(params), compiled))
        if commit:
            steps.append(Step("COMMIT"))
        try:
            fetched = await self._driver.run(self._raw.driver_connection, steps)
        except StepFailed as failed:
            raise self._error(steps[failed.index], failed.error) from failed.error
        except Exception as exc:  # the connection itself (closed, lost)
            raise self._error(steps[0], exc, lost=True) from exc
        except BaseException:
            self._raw.invalidate()  # cancelled mid-statement: the driver's state is unknown
            raise
        self._open = (self._open or self._begin_pending) and not commit
        self._begin_pending = False
        return [
            step.compiled.rows(rows)
            for step, rows in zip(steps, fetched, strict=True)
            if step.compiled is not None
        ]

    def _error(self, step: Step, error: Exception, *, lost: bool = False) -> BaseException:
        """The driver's error as SQLAlchemy's. One that the database sent to close the
        connection, or that neither the database sent (no SQLSTATE) nor the driver's DB-API
        raised nor a value that could not be bound caused, is the connection's (closed, cut
        by a restart, its protocol in a state it cannot leave): the connection is not used
        again, and the error is an `OperationalError` that says so (``connection_invalidated``),
        as SQLAlchemy's own execution reports a lost connection."""
        dbapi_error = self._dialect.loaded_dbapi.Error
        sqlstate = getattr(error, "sqlstate", None)
        sent = isinstance(sqlstate, str)  # by the database
        refused = sent or isinstance(error, dbapi_error | ValueError | TypeError | OverflowError)
        if lost or not refused or (sent and str(sqlstate).startswith(CONNECTION_GONE)):
            self._raw.invalidate()
            return OperationalError(step.sql, None, error, connection_invalidated=True)
        if step.compiled is not None:
            return step.compiled.error(error, list(step.arguments))
        return DBAPIError.instance(step.sql, None, error, dbapi_error)


class EngineStatements:
    """The same statements through SQLAlchemy's execution, for any other driver."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def all(self, prepared: Prepared, **params: Any) -> list[Row]:
        return [tuple(row) for row in await self._connection.execute(prepared.statement, params)]

    async def several(self, *statements: Write) -> list[list[Row]]:
        found: list[list[Row]] = []
        for prepared, params in statements:
            if isinstance(params, list):  # executemany: no rows
                await self._connection.execute(prepared.statement, params)
                found.append([])
            else:
                found.append(await self.all(prepared, **params))
        return found

    async def commit_after(self, *writes: Write) -> list[list[Row]]:
        """The statements; the transaction around them commits when it ends."""
        return await self.several(*writes)
