"""An update relayed by a replica that dies before storing it is stored by a survivor.

Updates go to the other nodes as soon as they are accepted; the commit follows. Here the
test holds the document's row locked, so that the first replica's commit waits, then kills
that replica: its update lives only in the other replica's memory (and its clients'), and
the survivor must store it, once.
"""

from __future__ import annotations

import time

import pytest
from pycrdt import Text
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from client import DocumentClient
from tests.nodes.replicas import replicas, stored_updates, text_of
from tests.support.waiting import eventually

pytestmark = pytest.mark.postgres

PASSAGE = "Становище на сдружение „Зелен Пловдив“ ✅"


async def test_a_survivor_stores_what_a_dead_replica_relayed_but_never_stored(
    postgres_url: str,
) -> None:
    async with replicas(postgres_url, 2) as (one, two):
        writer = DocumentClient(one.yjs, "orphan")
        reader = DocumentClient(two.yjs, "orphan")
        await writer.connect()
        await reader.connect()
        engine = create_async_engine(postgres_url)
        try:
            written = writer.doc.get("content", type=Text)
            read = reader.doc.get("content", type=Text)
            async with engine.connect() as blocker:
                await blocker.execute(
                    text("SELECT id FROM documents WHERE name = 'orphan' FOR UPDATE")
                )
                written.insert(0, PASSAGE)
                await reader.wait_until(lambda: str(read) == PASSAGE, timeout=10)
                await one.kill()  # its commit is still waiting for the row
                await blocker.rollback()
            started = time.monotonic()

            async def stored_once() -> bool:
                updates = await stored_updates(postgres_url, "orphan")
                return text_of(updates) == PASSAGE

            await eventually(stored_once, timeout=15)
            adopted_within = time.monotonic() - started
            updates = await stored_updates(postgres_url, "orphan")
            assert len(updates) == len(set(updates)), "an update was stored twice"
            assert adopted_within < 10, adopted_within
            late = DocumentClient(two.yjs, "orphan")
            await late.connect()
            try:
                late_text = late.doc.get("content", type=Text)
                await late.wait_until(lambda: str(late_text) == PASSAGE, timeout=5)
            finally:
                await late.close()
        finally:
            await engine.dispose()
            await writer.close()
            await reader.close()
