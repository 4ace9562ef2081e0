"""Document names: new ones may not contain URL structure; stored ones stay readable."""

from __future__ import annotations

import httpx
import pytest

from crdt.messages import SyncStep1
from server.documents.names import readable_document_name, valid_document_name
from tests.server.test_document_access import document_url
from tests.support.room_server import strict
from tests.support.rooms import make_people, make_room, services_of
from tests.support.server import serve_in_process
from tests.support.wire import RawPeer


@pytest.mark.parametrize("name", ["a/b", "x/history", "a\\b", "a?b", "a#b", "100%", "/"])
def test_a_new_name_may_not_contain_url_structure(name: str) -> None:
    assert not valid_document_name(name)
    assert readable_document_name(name)


@pytest.mark.parametrize("name", ["Проект за решение", "бюджет-2027", "a.b_c~d", "🏛️"])
def test_ordinary_names_are_valid(name: str) -> None:
    assert valid_document_name(name)


def test_empty_long_and_control_names_are_neither() -> None:
    for name in ("", "x" * 256, "a\nb", "a\x00b"):
        assert not valid_document_name(name)
        assert not readable_document_name(name)


async def test_rooms_refuse_a_slash_in_a_new_name_and_open_a_stored_one(
    database_url: str,
) -> None:
    async with serve_in_process(strict(database_url)) as server:
        services = services_of(server)
        people = await make_people(services)
        await make_room(services, people, "council", visibility="private")
        headers = {"Authorization": f"Bearer {people.token('owner')}"}
        async with httpx.AsyncClient(base_url=server.http, headers=headers) as http:
            created = await http.post(
                "/api/v1/rooms/council/documents", json={"name": "бюджет/history"}
            )
            assert created.status_code == 422, created.text
            assert await services.log.find_document("бюджет/history") is None
            assert (
                await http.post("/api/v1/rooms/council/documents", json={"name": "бюджет"})
            ).status_code == 201

        # a name stored before the rule (made here straight in storage) still opens
        room = await services.rooms.store.find_room("council")
        assert room is not None
        stored = await services.log.ensure_document("стар/документ")
        await services.rooms.store.link_document(room.id, stored.id)
        peer = await RawPeer.open(document_url(server, "стар/документ", people.token("owner")))
        assert isinstance(await peer.recv_message(), SyncStep1)
        await peer.close()
