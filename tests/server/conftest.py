from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from crdt.document import available_backends
from server.settings import Settings
from storage.database import Database
from storage.document_log import DocumentLog
from tests.support.server import RunningServer, serve_in_process
from tests.support.services import unavailable


def _backends() -> list[str]:
    names = available_backends()
    if "y-py" not in names and os.environ.get("CI") == "true":
        # On CI both backends must run; y-py installs on the CI Python (3.11).
        return [*names, "y-py"]
    return names


@pytest.fixture(params=_backends())
def backend_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name not in available_backends():
        unavailable(f"CRDT backend {name!r} is not installed (extra 'ypy', Python <= 3.12)")
    return name


@pytest.fixture
def settings(sqlite_url: str, backend_name: str) -> Settings:
    # documents outside rooms, open to anyone: these tests are about the transport, not access
    # (tests/server/test_document_access.py checks the default, where only room documents exist)
    return Settings(
        database_url=sqlite_url, crdt_backend=backend_name, unload_grace=0.2, open_documents=True
    )


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[RunningServer]:
    async with serve_in_process(settings) as running:
        yield running


@pytest.fixture
async def document_log(settings: Settings) -> AsyncIterator[DocumentLog]:
    """A second, independent view of the server's database, for checking what was stored."""
    database = Database(settings.database_url)
    try:
        yield DocumentLog(database)
    finally:
        await database.dispose()
