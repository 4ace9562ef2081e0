"""Typed origins are stored as the plain strings they always were."""

from __future__ import annotations

from sqlalchemy import select

from storage.database import Database
from storage.document_log import DocumentLog
from storage.models import ORIGIN_LENGTH, UpdateRecord
from storage.origins import Origin
from tests.storage.factories import update


def test_the_stored_values_are_the_strings_of_before() -> None:
    assert [origin.value for origin in Origin] == ["connection", "server", "fork", "merge", "bus"]
    assert all(len(origin) <= ORIGIN_LENGTH for origin in Origin)
    assert Origin("merge") is Origin.MERGE


async def test_an_origin_is_written_and_matched_as_its_string(database: Database) -> None:
    log = DocumentLog(database)
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, seq, origin=origin) for seq, origin in enumerate(Origin, 1)])
    query = select(UpdateRecord.origin).where(UpdateRecord.document_id == doc)
    async with database.sessionmaker() as session:
        stored = list(await session.scalars(query.order_by(UpdateRecord.seq)))
        assert stored == ["connection", "server", "fork", "merge", "bus"]
        assert {type(value) for value in stored} == {str}
        merged = await session.scalars(query.where(UpdateRecord.origin == Origin.MERGE))
        assert list(merged) == ["merge"]
