"""Fixtures shared by every test package: database URLs for SQLite and PostgreSQL.

`database_url`, `sqlite_url` and `postgres_url` give databases at the head of the migrations
with no rows: for SQLite a copy of a file migrated once per session, for PostgreSQL one
database migrated once per session and emptied (TRUNCATE) before each test — creating a
PostgreSQL database costs ~0.5 s and migrating one ~0.3 s, a thousand times over.
`empty_database_url` gives a database with no tables, for the tests of migrating.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.database import upgrade
from tests.support.contract import CONTRACT
from tests.support.services import postgres_admin_url, unavailable


def _admin_engine() -> AsyncEngine:
    return create_async_engine(
        make_url(postgres_admin_url()),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"timeout": 5},
    )


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "veche.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def _postgres_shared() -> Iterator[str | None]:
    """A migrated database for the session's tests, or None when PostgreSQL is unavailable."""
    name = f"veche_shared_{uuid.uuid4().hex[:12]}"
    url = make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)

    async def create() -> bool:
        engine = _admin_engine()
        try:
            async with engine.connect() as connection:
                await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except (OSError, TimeoutError, SQLAlchemyError):
            return False
        finally:
            await engine.dispose()
        await upgrade(url)
        return True

    async def drop() -> None:
        engine = _admin_engine()
        try:
            async with engine.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await engine.dispose()

    created = asyncio.run(create())
    yield url if created else None
    if created:
        asyncio.run(drop())


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """The URL of a fresh SQLite database file (not yet created)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'veche.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A fresh SQLite database at the head of the migrations."""
    shutil.copyfile(_sqlite_template, tmp_path / "veche.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'veche.db'}"


async def _postgres_database(template: str | None) -> AsyncIterator[str]:
    admin = make_url(postgres_admin_url())
    name = f"veche_test_{uuid.uuid4().hex[:16]}"
    engine = _admin_engine()
    try:
        try:
            connection = await engine.connect()
        except (OSError, TimeoutError, SQLAlchemyError) as exc:
            unavailable(f"PostgreSQL unavailable at {admin.render_as_string()}: {exc}")
        try:
            copy = "" if template is None else f' TEMPLATE "{template}"'
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
        finally:
            await connection.close()
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            async with engine.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await engine.dispose()


@pytest.fixture
async def empty_postgres_url() -> AsyncIterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    async for url in _postgres_database(None):
        yield url


@pytest.fixture
async def postgres_url(_postgres_shared: str | None) -> str:
    """The session's migrated PostgreSQL database, emptied of every row for this test."""
    if _postgres_shared is None:
        unavailable(f"PostgreSQL unavailable at {postgres_admin_url()}")
    engine = create_async_engine(_postgres_shared, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            # DELETE beats TRUNCATE on tables this small (no new files to sync); with
            # replication_role=replica the foreign keys do not order the deletes
            await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            tables = (
                await connection.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            ).scalars()
            for table in tables.all():
                await connection.exec_driver_sql(f'DELETE FROM "{table}"')
            sequences = (
                await connection.exec_driver_sql(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
                )
            ).scalars()
            for sequence in sequences.all():
                await connection.exec_driver_sql(f"SELECT setval('\"{sequence}\"', 1, false)")
    finally:
        await engine.dispose()
    return _postgres_shared


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database URL, once for SQLite and once for PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL (no tables), once for SQLite and once for PostgreSQL."""
    url: str = request.getfixturevalue(f"empty_{request.param}_url")
    return url


@pytest.fixture(autouse=True)
def _api_contract() -> Iterator[None]:
    """Fails the test during which an API exchange did not match the OpenAPI document."""
    before = len(CONTRACT.failures)
    yield
    failures = CONTRACT.failures[before:]
    if failures:
        pytest.fail("answers outside the API contract:\n" + "\n".join(failures))
