"""A consultation on several replicas: its deadline passes, every replica's watch tries to
close it, and it closes once — one `consultation.closed` event, told on every replica — and
no replica takes a comment after it."""

from __future__ import annotations

import contextlib

import pytest
from pycrdt import Text
from sqlalchemy import func, select, text

from client import DocumentClient, LiveClient
from storage.database import Database
from storage.models import RoomEventRecord
from tests.nodes.replicas import replicas, seed_room
from tests.nodes.test_decisions import api, call

pytestmark = pytest.mark.postgres


async def test_the_deadline_closes_a_consultation_once_whichever_replicas_watch(
    postgres_url: str,
) -> None:
    people, room_id = await seed_room(postgres_url, "veche")
    async with replicas(postgres_url, 3) as (one, two, three):
        created = await call(one, people, "participant", "/proposals", {"title": "Наредба"})
        assert created.status_code == 201, created.text
        proposal = created.json()
        async with DocumentClient(
            two.yjs, proposal["document"], token=people.token("participant")
        ) as writer:
            writer.doc.get("content", type=Text).insert(0, "Чл. 1. Такса.")
            await writer.wait_saved()
        opened = await call(one, people, "owner", f"/proposals/{proposal['id']}/consultation", {})
        assert opened.status_code == 201, opened.text
        consultation = opened.json()["id"]

        async with (
            LiveClient(two.live, "veche", token=people.token("observer")) as on_two,
            LiveClient(three.live, "veche", token=people.token("observer")) as on_three,
        ):
            async with Database(postgres_url) as database, database.sessionmaker() as session:
                # the deadline passes now, for every replica at once
                await session.execute(
                    text("UPDATE consultations SET closes_at = now() - interval '1 second'")
                )
                await session.commit()
            for watcher in (on_two, on_three):  # every replica looks within 5 s
                closed = await watcher.next_event("consultation.closed", timeout=15)
                assert closed["consultation"]["id"] == consultation
            for watcher in (on_two, on_three):
                with contextlib.suppress(TimeoutError):
                    again = await watcher.next_event("consultation.closed", timeout=1)
                    raise AssertionError(f"closed twice: {again}")

        async with Database(postgres_url) as database, database.sessionmaker() as session:
            events = await session.scalar(
                select(func.count()).where(
                    RoomEventRecord.room_id == room_id,
                    RoomEventRecord.type == "consultation.closed",
                )
            )
        assert events == 1
        comment = {"start": 0, "end": 5, "body": "Късно."}
        for node in (one, two, three):
            async with api(node, people, "participant") as http:
                late = await http.post(
                    f"{node.http}/api/v1/consultations/{consultation}/comments", json=comment
                )
            assert late.status_code == 409, late.text
