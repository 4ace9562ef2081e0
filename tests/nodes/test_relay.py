"""Updates from other nodes that arrive in one event-loop turn go to each connection as one
merged update (issue 15's decision); one alone goes as the very bytes received."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pycrdt
import pytest
from pycrdt import Text

from client import DocumentClient
from crdt.document import Validated
from server.documents.shared import SharedDocument
from tests.nodes.test_lost_messages import two_nodes
from tests.support.rooms import services_of
from tests.support.server import RunningServer

pytestmark = pytest.mark.postgres

OTHER_NODE = b"\x07" * 16


def edits(*pieces: str) -> list[bytes]:
    """The updates of typing ``pieces`` one after another, from a writer elsewhere."""
    doc: pycrdt.Doc[Text] = pycrdt.Doc()
    text = doc.get("content", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for piece in pieces:
        text.insert(len(text), piece)
    return updates


@contextlib.asynccontextmanager
async def reading(
    database_url: str, name: str
) -> AsyncIterator[tuple[RunningServer, DocumentClient, list[bytes], SharedDocument]]:
    """Two nodes; a reader of document ``name`` on the second, the updates it receives, and
    the second node's copy of the document. The first node comes first."""
    async with two_nodes(database_url) as (one, two):
        reader = DocumentClient(two.yjs, name)
        await reader.connect()
        try:
            received: list[bytes] = []
            reader.on_remote_update(received.append)
            shared = services_of(two).documents.get(name)
            assert shared is not None
            yield one, reader, received, shared
        finally:
            await reader.close()


async def test_updates_of_one_turn_are_relayed_as_one_and_a_lone_one_as_received(
    postgres_url: str,
) -> None:
    async with reading(postgres_url, "merged") as (_, reader, received, shared):
        first, second, third, fourth = edits("Чл. 1", " Общината", " публикува", " ✅")
        for local, update in enumerate((first, second, third), start=1):
            shared.apply_remote_unnumbered(OTHER_NODE, local, update)
        read = reader.doc.get("content", type=Text)
        await reader.wait_until(lambda: str(read) == "Чл. 1 Общината публикува")
        assert len(received) == 1  # three updates, one frame
        assert received[0] not in (first, second, third)

        shared.apply_remote_unnumbered(OTHER_NODE, 4, fourth)
        await reader.wait_until(lambda: str(read).endswith("✅"))
        assert received[1:] == [fourth]


async def test_an_update_read_back_from_sql_before_its_number_came_is_not_relayed_again(
    postgres_url: str,
) -> None:
    async with reading(postgres_url, "read-back") as (_, reader, received, shared):
        first, second = edits("Решение", " №7")
        shared.apply_remote_unnumbered(OTHER_NODE, 1, first)
        read = reader.doc.get("content", type=Text)
        await reader.wait_until(lambda: str(read) == "Решение")
        seq = shared.numbers.through + 1
        assert shared.apply_remote(seq, first)  # the 5-second check read it from SQL
        assert shared.numbers.holds(seq)
        assert not shared.remote_unnumbered  # nothing waits for that number any more
        shared.apply_remote(seq + 1, second)
        await reader.wait_until(lambda: str(read) == "Решение №7")
        assert received == [first, second]  # the first was not sent again


async def test_a_writers_update_reaches_the_other_node_with_what_its_validation_found(
    postgres_url: str,
) -> None:
    async with reading(postgres_url, "validated") as (one, reader, _, there):
        given: list[Validated | None] = []
        document = there.document
        expect = document.expect_validated

        def noted(validated: Validated | None) -> None:
            given.append(validated)
            expect(validated)

        document.expect_validated = noted  # type: ignore[method-assign]
        writer = DocumentClient(one.yjs, "validated")
        await writer.connect()
        try:
            writer.doc.get("content", type=Text).insert(0, "Чл. 2 Прозрачност")
            read = reader.doc.get("content", type=Text)
            await reader.wait_until(lambda: str(read) == "Чл. 2 Прозрачност")
        finally:
            await writer.close()
        here = services_of(one).documents.get("validated")
        assert here is not None
        found = [v for v in given if v is not None]
        # taken as validated on the second node: the first node's count and client, no parse
        assert found == [Validated(here.document.items, writer.doc.client_id)]
        assert there.document.items == here.document.items
        assert there.document.last_client == writer.doc.client_id


async def test_the_numbers_of_one_commit_reach_the_other_node_as_one_run(
    postgres_url: str,
) -> None:
    async with reading(postgres_url, "runs") as (one, reader, _, there):
        runs: list[int] = []
        number_remote = there.number_remote
        all_numbered = asyncio.Event()

        def noted(node: bytes, local: int, seq: int, count: int = 1) -> bool:
            runs.append(count)
            if sum(runs) >= 40:
                all_numbered.set()
            return number_remote(node, local, seq, count)

        there.number_remote = noted  # type: ignore[method-assign]
        writer = DocumentClient(one.yjs, "runs")
        await writer.connect()
        try:
            text = writer.doc.get("content", type=Text)
            for article in range(1, 41):  # forty updates sent at once
                text.insert(len(text), f"Чл. {article}. ")
            await writer.wait_saved()
        finally:
            await writer.close()
        here = services_of(one).documents.get("runs")
        assert here is not None
        read = reader.doc.get("content", type=Text)
        await reader.wait_until(lambda: str(read).endswith("Чл. 40. "))
        async with asyncio.timeout(10):
            await all_numbered.wait()
        assert there.numbers.through == here.numbers.through >= 40
        assert not there.numbers.has_gap
        assert not there.remote_unnumbered  # every number came
        assert sum(runs) == 40
        assert len(runs) < 40  # told in runs, one per commit, not one per update
