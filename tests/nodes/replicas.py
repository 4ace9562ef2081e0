"""Several `veche serve` processes on one PostgreSQL database and one Redis: a deployment."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterator
from typing import Any

import pycrdt
import redis.asyncio
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.services import Services
from server.settings import Settings
from tests.support.rooms import People, make_people, make_room
from tests.support.server import TEST_SECRET_KEY, ServerProcess
from tests.support.services import redis_url


def _my_databases() -> range:
    """Redis databases 1..15, split between pytest-xdist's workers (each test takes the next
    one of its worker's share and empties it): no two tests running at once share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    share = 15 // max(count, 1)
    first = 1 + int(worker) * share
    return range(first, first + share)


_databases = itertools.cycle(_my_databases())  # a Redis database (and bus namespace) per test


def bus_url() -> str:
    """The test Redis on a database of its own, so that no earlier test's node hears it."""
    base = redis_url().rsplit("/", 1)[0]
    return f"{base}/{next(_databases)}"


@contextlib.asynccontextmanager
async def replicas(
    database_url: str, count: int, *, env: dict[str, str] | None = None
) -> AsyncIterator[list[ServerProcess]]:
    """Start ``count`` replicas sharing the database and a fresh bus; stop them at the end."""
    shared = {"VECHE_REDIS_URL": bus_url(), "VECHE_OPEN_DOCUMENTS": "true", **(env or {})}
    await _emptied(shared["VECHE_REDIS_URL"])  # nothing of an earlier test (login counts)
    nodes = [ServerProcess(database_url, env=shared) for _ in range(count)]
    try:
        await asyncio.gather(*(node.start() for node in nodes))
        yield nodes
    finally:
        await asyncio.gather(*(node.stop() for node in nodes))


async def _emptied(url: str) -> None:
    client = redis.asyncio.Redis.from_url(url)
    try:
        await client.flushdb()
    except (RedisError, OSError):
        pass  # a private Redis not started yet, or none: the replicas report it
    finally:
        await client.aclose()


async def stored_updates(database_url: str, name: str) -> list[bytes]:
    """The bytes of every update the log holds for document ``name``, in order."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT u.data FROM document_updates u JOIN documents d"
                    " ON d.id = u.document_id WHERE d.name = :name ORDER BY u.seq"
                ),
                {"name": name},
            )
            return [bytes(row.data) for row in rows]
    finally:
        await engine.dispose()


async def seed_room(
    database_url: str, slug: str, *, documents: tuple[str, ...] = ()
) -> tuple[People, int]:
    """People (owner, moderator, participant, observer, outsider; API tokens valid on every
    replica) and a private room of theirs, made through the services; the room's id."""
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY)
    services = await Services.start(settings)
    try:
        people = await make_people(services)
        view = await make_room(services, people, slug, visibility="private", documents=documents)
        return people, view.room.id
    finally:
        await services.stop()


def text_of(updates: list[bytes]) -> str:
    """The ``content`` text of a document rebuilt from its stored updates."""
    doc: pycrdt.Doc[Any] = pycrdt.Doc()
    for update in updates:
        doc.apply_update(update)
    return str(doc.get("content", type=pycrdt.Text))
