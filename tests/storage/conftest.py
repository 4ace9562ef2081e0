from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import Database, upgrade
from storage.document_log import DocumentLog


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database (SQLite and PostgreSQL)."""
    await upgrade(database_url)
    async with Database(database_url) as database:
        yield database


@pytest.fixture
def log(database: Database) -> DocumentLog:
    return DocumentLog(database)
