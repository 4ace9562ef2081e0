"""A bus message lost on the way delays an update on the other node, never loses it.

Two nodes in this process (each its own services and bus connection, on the same PostgreSQL
database and Redis); the sending node's bus drops messages on purpose (its test hook).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from pycrdt import Text

from client import DocumentClient
from server.documents.crossnode import CHECK_SECONDS
from server.settings import Settings
from storage.redis_bus import RedisBus
from tests.nodes.replicas import bus_url
from tests.support.rooms import services_of
from tests.support.server import RunningServer, serve_in_process

pytestmark = pytest.mark.postgres


@contextlib.asynccontextmanager
async def two_nodes(database_url: str) -> AsyncIterator[tuple[RunningServer, RunningServer]]:
    settings = Settings(database_url=database_url, redis_url=bus_url(), open_documents=True)
    async with serve_in_process(settings) as one, serve_in_process(settings) as two:
        yield one, two


def bus_of(server: RunningServer) -> RedisBus:
    bus = services_of(server).bus
    assert isinstance(bus, RedisBus)
    return bus


async def typist(server: RunningServer, name: str) -> tuple[DocumentClient, Text]:
    client = DocumentClient(server.yjs, name)
    await client.connect()
    return client, client.doc.get("content", type=Text)


async def test_a_hole_in_the_numbers_is_filled_from_sql(postgres_url: str) -> None:
    async with two_nodes(postgres_url) as (one, two):
        writer, written = await typist(one, "lost")
        reader, read = await typist(two, "lost")
        try:
            bus_of(one).drop_next = 2  # the update and then its number
            written.insert(0, "Чл. 1")
            await writer.wait_saved()
            assert bus_of(one).dropped == 2
            written.insert(len(written), " — приет ✅")  # its number shows the hole
            await reader.wait_until(lambda: str(read) == "Чл. 1 — приет ✅", timeout=5)
            shared = services_of(two).documents.get("lost")
            assert shared is not None
            assert not shared.numbers.has_gap
        finally:
            await writer.close()
            await reader.close()


@pytest.mark.parametrize(
    ("dropped", "within"),
    [
        pytest.param(1, 5.0, id="the update: its number arrives alone and shows it"),
        pytest.param(2, CHECK_SECONDS + 5, id="the update and its number: the check finds it"),
    ],
)
async def test_a_lost_last_update_is_read_from_sql(
    postgres_url: str, dropped: int, within: float
) -> None:
    async with two_nodes(postgres_url) as (one, two):
        writer, written = await typist(one, "last")
        reader, read = await typist(two, "last")
        try:
            bus_of(one).drop_next = dropped
            written.insert(0, "Решение №7")
            await writer.wait_saved()
            await reader.wait_until(lambda: str(read) == "Решение №7", timeout=within)
            assert bus_of(one).dropped == dropped
        finally:
            await writer.close()
            await reader.close()
