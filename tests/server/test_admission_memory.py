"""Admission in a connection storm: credentials, places and roles are read for many
connections at once and kept briefly, and a kept answer never outlives a change
(server/cached_reads.py, docs/access.md).

The access review runs once a minute here, so a refusal seen at once can only come from the
kept answers being forgotten, not from the review or their expiry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from websockets.exceptions import ConnectionClosed

from crdt.messages import SyncStep1
from server.closecodes import CloseCode
from server.policy import Role
from server.services import Services
from storage.models import utc_now
from tests.server.test_document_access import READ_WRITE, document_url, try_document
from tests.server.test_document_access_changes import sign_in
from tests.support.room_server import strict
from tests.support.rooms import People, add_person, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process
from tests.support.waiting import eventually
from tests.support.wire import RawPeer

CROWD = 120
UNAUTHENTICATED = f"closed {CloseCode.UNAUTHENTICATED.value}"
UNKNOWN = f"closed {CloseCode.UNKNOWN_DOCUMENT.value}"


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """Every SQL statement the server sends while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])  # (connection, cursor, statement, ...)

    engine = services.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads_of(seen: list[str], table: str) -> int:
    return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT") and table in s)


async def open_synced(server: RunningServer, token: str) -> RawPeer:
    peer = await RawPeer.open(document_url(server, "d", token))
    assert isinstance(await peer.recv_message(timeout=30), SyncStep1)
    return peer


async def test_a_storm_of_connections_reads_credentials_a_few_times_not_once_each(
    database_url: str,
) -> None:
    async with serve_in_process(strict(database_url, access_review_every=60)) as server:
        services = services_of(server)
        people = await make_people(services)
        view = await make_room(services, people, "room", visibility="private", documents=("d",))
        crowd = [f"p{i}" for i in range(CROWD)]
        for name in crowd:
            await add_person(services, people, name)
            await services.rooms.set_member(view, name, Role.PARTICIPANT.value, None)
        with statements(services) as seen:
            peers = await asyncio.gather(*(open_synced(server, people.tokens[n]) for n in crowd))
        # and nothing written on the way in: the tokens' last uses are written later, together
        assert not [s for s in seen if "UPDATE api_tokens" in s]
        with statements(services) as written:
            await services.sign_in.record_token_uses()
        assert len([s for s in written if "UPDATE api_tokens" in s]) == 1
        for name in crowd:
            [stored] = await services.accounts.store.list_api_tokens(people.users[name].id)
            assert stored.last_used_at is not None
        token_reads, role_reads = reads_of(seen, "api_tokens"), reads_of(seen, "room_members")
        place_reads = reads_of(seen, "FROM documents")
        # asked one by one this was CROWD reads of each; gathered, far fewer
        assert token_reads <= CROWD // 4, token_reads
        assert role_reads <= CROWD // 4, role_reads
        assert place_reads <= 2, place_reads
        await asyncio.gather(*(peer.close() for peer in peers))

        with statements(services) as seen:  # the same people again: every answer was kept
            peers = await asyncio.gather(*(open_synced(server, people.tokens[n]) for n in crowd))
        assert reads_of(seen, "api_tokens") == 0
        assert reads_of(seen, "room_members") == 0
        await asyncio.gather(*(peer.close() for peer in peers))


async def test_a_change_made_on_this_node_reaches_the_next_connection_at_once(
    database_url: str,
) -> None:
    async with serve_in_process(strict(database_url, access_review_every=60)) as server:
        services = services_of(server)
        people = await make_people(services)
        view = await make_room(services, people, "room", visibility="private", documents=("d",))
        token = people.token("participant")
        assert token is not None
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.http) as http:
            # the participant's credential, role and the document's place are now kept
            assert await try_document(server, "d", token, "а") == READ_WRITE
            assert (await http.get("/api/v1/rooms/room", headers=auth)).status_code == 200
            [listed] = (await http.get("/api/v1/tokens", headers=auth)).json()["tokens"]
            revoked = await http.delete(f"/api/v1/tokens/{listed['id']}", headers=auth)
            assert revoked.status_code == 204
            assert await try_document(server, "d", token, "б") == UNAUTHENTICATED
            assert (await http.get("/api/v1/rooms/room", headers=auth)).status_code == 401

            # a member removed: the kept role goes with the change
            observer = people.token("moderator")
            assert await try_document(server, "d", observer, "в") == READ_WRITE
            await services.rooms.remove_member(view, "moderator", None)
            assert await try_document(server, "d", observer, "г") == UNKNOWN

            # signed out: the kept session goes too
            tokens = await sign_in(server, http, "ана")
            await services.rooms.set_member(view, "ана", Role.PARTICIPANT.value, None)
            access = tokens["access_token"]
            assert await try_document(server, "d", access, "д") == READ_WRITE
            bearer = {"Authorization": f"Bearer {access}"}
            assert (await http.post("/api/v1/auth/logout", headers=bearer)).status_code == 204
            assert await try_document(server, "d", access, "е") == UNAUTHENTICATED


async def test_a_change_no_event_tells_of_is_seen_within_the_review_period(
    database_url: str,
) -> None:
    async with serve_in_process(strict(database_url, access_review_every=0.5)) as server:
        services = services_of(server)
        people: People = await make_people(services)
        await make_room(services, people, "room", visibility="private", documents=("d",))
        token = people.token("participant")
        assert await try_document(server, "d", token, "а") == READ_WRITE
        user = people.users["participant"]
        [stored] = await services.accounts.store.list_api_tokens(user.id)
        # straight in the database, as the CLI would: no audit event on this node
        assert await services.accounts.store.revoke_api_token(user.id, stored.id, utc_now())

        async def refused() -> bool:
            try:
                return await try_document(server, "d", token, "б") == UNAUTHENTICATED
            except ConnectionClosed:  # admitted from a kept answer, then closed by the review
                return False

        await eventually(refused, timeout=3)
