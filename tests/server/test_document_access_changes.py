"""Credentials and rights that change under an open `/yjs/` connection, and the socket's
other gates: bad tokens, the Origin check and the per-user connection quota."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from crdt.awareness import AwarenessEntry, decode_awareness_update, encode_awareness_update
from crdt.messages import AuthMessage, AwarenessMessage, SyncStep1, SyncUpdate, encode_message
from server.closecodes import CloseCode
from server.policy import Role
from storage.models import utc_now
from tests.server.test_document_access import (
    NO_TOKEN,
    READ_ONLY,
    READ_WRITE,
    document_url,
    try_document,
)
from tests.support.room_server import strict, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process
from tests.support.waiting import eventually
from tests.support.wire import RawPeer
from tests.support.ydocs import Typist

PASSWORD = "дълга-парола-за-тестове"


@pytest.fixture
async def people(server: RunningServer) -> People:
    people = await make_people(services_of(server))
    await make_room(services_of(server), people, "room", visibility="private", documents=("d",))
    return people


async def open_peer(server: RunningServer, token: str | None, name: str = "d") -> RawPeer:
    peer = await RawPeer.open(document_url(server, name, token))
    assert isinstance(await peer.recv_message(), SyncStep1)
    return peer


async def closed_within(peer: RawPeer, seconds: float) -> int | None:
    started = time.monotonic()
    code = await peer.closed_with(timeout=seconds)
    assert time.monotonic() - started < seconds
    return code


async def sign_in(server: RunningServer, http: httpx.AsyncClient, name: str) -> dict[str, str]:
    """A user with a password, signed in: its access and refresh tokens."""
    services = services_of(server)
    await services.accounts.create_user(name, PASSWORD)
    response = await http.post("/api/v1/auth/login", json={"name": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def test_expired_tampered_and_unknown_tokens_are_refused_on_socket_and_api(
    server: RunningServer, people: People
) -> None:
    services = services_of(server)
    async with httpx.AsyncClient(base_url=server.http) as http:
        tokens = await sign_in(server, http, "ана")
        view = await services.rooms.view("room", people.users["owner"])
        await services.rooms.set_member(view, "ана", "participant", None)
        good = tokens["access_token"]
        payload = services.sign_in.signer.verify(good)
        expired = services.sign_in.access_token(
            payload["sub"], payload["sid"], utc_now() - timedelta(seconds=1)
        )
        body, mac = good.split(".")
        elevated = services.sign_in.signer.sign({**payload, "sub": people.users["owner"].id})
        forged = f"{elevated.split('.')[0]}.{mac}"
        for token in (expired, forged, f"{body}.{mac[::-1]}", "vch_unknown", "x"):
            assert await try_document(server, "d", token, "no") == NO_TOKEN, token
            headers = {"Authorization": f"Bearer {token}"}
            response = await http.get("/api/v1/documents/d", headers=headers)
            assert response.status_code == 401, token
        assert await try_document(server, "d", good, "да") == READ_WRITE
        headers = {"Authorization": f"Bearer {good}"}
        assert (await http.get("/api/v1/documents/d", headers=headers)).status_code == 200


async def test_revoking_a_token_or_signing_out_closes_its_open_sockets(
    server: RunningServer, people: People
) -> None:
    services = services_of(server)
    async with httpx.AsyncClient(base_url=server.http) as http:
        tokens = await sign_in(server, http, "ана")
        view = await services.rooms.view("room", people.users["owner"])
        await services.rooms.set_member(view, "ана", "participant", None)
        session_socket = await open_peer(server, tokens["access_token"])
        api_socket = await open_peer(server, people.token("participant"))
        other = await open_peer(server, people.token("moderator"))

        headers = {"Authorization": f"Bearer {people.token('participant')}"}
        [listed] = (await http.get("/api/v1/tokens", headers=headers)).json()["tokens"]
        revoked = await http.delete(f"/api/v1/tokens/{listed['id']}", headers=headers)
        assert revoked.status_code == 204
        assert await closed_within(api_socket, 5) == CloseCode.UNAUTHENTICATED

        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await http.post("/api/v1/auth/logout", headers=headers)).status_code == 204
        assert await closed_within(session_socket, 5) == CloseCode.UNAUTHENTICATED

        # the others stay: the moderator still writes
        await other.send(encode_message(SyncUpdate(Typist().type("още тук"))))
        assert await try_document(server, "d", people.token("moderator"), "и тук") == READ_WRITE
        await other.close()


async def test_a_change_made_elsewhere_is_found_by_the_periodic_review(
    database_url: str,
) -> None:
    async with serve_in_process(strict(database_url, access_review_every=0.3)) as server:
        services = services_of(server)
        people = await make_people(services)
        await make_room(services, people, "room", visibility="private", documents=("d",))
        socket = await open_peer(server, people.token("participant"))
        user = people.users["participant"]
        [token] = await services.accounts.store.list_api_tokens(user.id)
        # straight in the database, as another node or the CLI would: no audit event here
        assert await services.accounts.store.revoke_api_token(user.id, token.id, utc_now())
        assert await closed_within(socket, 3) == CloseCode.UNAUTHENTICATED


async def test_role_changes_reach_open_sockets(server: RunningServer, people: People) -> None:
    services = services_of(server)
    rooms = services.rooms
    view = await rooms.view("room", people.users["owner"])
    participant = await open_peer(server, people.token("participant"))
    observer = await open_peer(server, people.token("observer"))
    owner = await open_peer(server, people.token("owner"))

    await rooms.set_member(view, "participant", Role.OBSERVER.value, None)

    async def demoted() -> bool:
        user_id = people.users["participant"].id
        return all(
            not c.access.can_write
            for c in services.documents.connections()
            if c.access.user_id == user_id
        )

    await eventually(demoted, timeout=5)
    await participant.send(encode_message(SyncUpdate(Typist().type("вече не"))))
    assert isinstance(
        await participant.recv_until(lambda m: isinstance(m, AuthMessage)), AuthMessage
    )

    await rooms.remove_member(view, "observer", None)
    assert await closed_within(observer, 5) == CloseCode.UNKNOWN_DOCUMENT  # private: hidden now

    await rooms.archive(view, None)

    async def read_only() -> bool:
        return all(not c.access.can_write for c in services.documents.connections())

    await eventually(read_only, timeout=5)
    await owner.send(encode_message(SyncUpdate(Typist().type("архив"))))
    assert isinstance(await owner.recv_until(lambda m: isinstance(m, AuthMessage)), AuthMessage)
    stored = await services.log.load("d")
    assert stored.last_seq == 0  # nothing written after the changes was kept
    for peer in (participant, owner):
        await peer.close()


async def test_an_observer_is_read_only_but_seen_present(
    server: RunningServer, people: People
) -> None:
    observer = await open_peer(server, people.token("observer"))
    participant = await open_peer(server, people.token("participant"))
    entry = AwarenessEntry(client_id=4242, clock=1, state_json='{"user":{"name":"Наблюдател"}}')
    await observer.send(encode_message(AwarenessMessage(encode_awareness_update([entry]))))
    seen = await participant.recv_until(lambda m: isinstance(m, AwarenessMessage))
    assert isinstance(seen, AwarenessMessage)
    assert decode_awareness_update(seen.update) == [entry]
    await observer.send(encode_message(SyncUpdate(Typist().type("само гледам"))))
    assert isinstance(await observer.recv_until(lambda m: isinstance(m, AuthMessage)), AuthMessage)
    assert (await services_of(server).log.load("d")).last_seq == 0
    await observer.close()
    await participant.close()


async def test_the_origin_of_a_browser_is_checked(database_url: str) -> None:
    allowed = ("https://veche.example.bg",)
    async with serve_in_process(strict(database_url, allowed_origins=allowed)) as server:
        people = await make_people(services_of(server))
        await make_room(services_of(server), people, "room", visibility="public", documents=("d",))
        url = document_url(server, "d", people.token("participant"))
        own = f"http://127.0.0.1:{server.port}"
        for origin, expected in (
            ("https://evil.example", CloseCode.FORBIDDEN),
            ("http://127.0.0.1:1", CloseCode.FORBIDDEN),  # same host, another port
            ("https://veche.example.bg", None),
            (own, None),  # same origin is always allowed
        ):
            peer = await RawPeer.open(url, origin=origin)
            if expected is None:
                assert isinstance(await peer.recv_message(), SyncStep1), origin
                await peer.close()
            else:
                assert await peer.closed_with() == expected, origin
        # no Origin header: not a browser; the token alone decides
        peer = await RawPeer.open(
            document_url(server, "d", None),
            additional_headers={"Authorization": f"Bearer {people.token('participant')}"},
        )
        assert isinstance(await peer.recv_message(), SyncStep1)
        await peer.send(encode_message(SyncUpdate(Typist().type("без origin"))))
        await peer.close()
        assert await try_document(server, "d", None, "анонимен") == READ_ONLY


async def test_connections_per_user_are_limited(database_url: str) -> None:
    async with serve_in_process(strict(database_url, max_connections_per_user=2)) as server:
        services = services_of(server)
        people = await make_people(services)
        await make_room(services, people, "room", visibility="public", documents=("d", "e"))
        token = people.token("participant")
        first = await open_peer(server, token, "d")
        await open_peer(server, token, "e")
        third = await RawPeer.open(document_url(server, "d", token))
        assert await third.closed_with() == CloseCode.TOO_MANY_CONNECTIONS
        assert 4400 <= CloseCode.TOO_MANY_CONNECTIONS <= 4499  # the stock client stops trying
        # other users and anonymous readers are not counted against it
        assert await try_document(server, "d", people.token("moderator"), "м") == READ_WRITE
        anonymous = [await open_peer(server, None) for _ in range(3)]
        await first.close()

        async def slot_freed() -> bool:
            user_id = people.users["participant"].id
            return services.quota.open_connections(user_id) == 1

        await eventually(slot_freed, timeout=5)
        assert await try_document(server, "d", token, "отново") == READ_WRITE
        for peer in anonymous:
            await peer.close()
