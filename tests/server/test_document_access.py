"""Who may open, read and write a document, over `/yjs/` and the document HTTP API.

The authorization matrix: every caller × every room state × the document actions, each cell
an exact outcome, on SQLite and PostgreSQL. Later issues add their actions to these tables.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from crdt.messages import (
    AuthMessage,
    SavedNotice,
    SubscribeSaved,
    SyncStep1,
    SyncUpdate,
    encode_message,
)
from server.closecodes import CloseCode
from tests.support.room_server import strict, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import CALLERS, People, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process
from tests.support.wire import RawPeer
from tests.support.ydocs import Typist, text_of

READ_WRITE, READ_ONLY = "read-write", "read-only"
NO_TOKEN, NOT_FOUND = f"closed {CloseCode.UNAUTHENTICATED}", f"closed {CloseCode.UNKNOWN_DOCUMENT}"

# (visibility, archived) -> caller -> outcome of opening the document and writing to it
EXPECTED: dict[tuple[str, bool], dict[str, str]] = {
    ("public", False): {
        "anonymous": READ_ONLY,
        "bad-token": NO_TOKEN,
        "outsider": READ_ONLY,
        "observer": READ_ONLY,
        "participant": READ_WRITE,
        "moderator": READ_WRITE,
        "owner": READ_WRITE,
    },
    ("private", False): {
        "anonymous": NO_TOKEN,
        "bad-token": NO_TOKEN,
        "outsider": NOT_FOUND,
        "observer": READ_ONLY,
        "participant": READ_WRITE,
        "moderator": READ_WRITE,
        "owner": READ_WRITE,
    },
    ("public", True): {
        "anonymous": READ_ONLY,
        "bad-token": NO_TOKEN,
        "outsider": READ_ONLY,
        "observer": READ_ONLY,
        "participant": READ_ONLY,
        "moderator": READ_ONLY,
        "owner": READ_ONLY,
    },
    ("private", True): {
        "anonymous": NO_TOKEN,
        "bad-token": NO_TOKEN,
        "outsider": NOT_FOUND,
        "observer": READ_ONLY,
        "participant": READ_ONLY,
        "moderator": READ_ONLY,
        "owner": READ_ONLY,
    },
}
# The same cells over GET /api/v1/documents/{name} and …/history: a private room's document
# is as unknown to an anonymous caller as to a signed-in outsider (404), a bad token is 401.
HTTP_STATUS = {READ_WRITE: 200, READ_ONLY: 200, NOT_FOUND: 404}


def http_expected(room: tuple[str, bool], caller: str) -> int:
    if caller == "bad-token":
        return 401
    outcome = EXPECTED[room][caller]
    return 404 if outcome == NO_TOKEN else HTTP_STATUS[outcome]


@pytest.fixture
async def people(server: RunningServer) -> People:
    return await make_people(services_of(server))


def document_url(server: RunningServer, name: str, token: str | None) -> str:
    query = f"?{urlencode({'token': token})}" if token is not None else ""
    return f"{server.yjs}/{quote(name, safe='')}{query}"


async def try_document(server: RunningServer, name: str, token: str | None, text: str) -> str:
    """Open the document and write ``text``: READ_WRITE, READ_ONLY or "closed CODE"."""
    peer = await RawPeer.open(document_url(server, name, token))
    try:
        try:
            opening = await peer.recv_message()
        except ConnectionClosed as closed:
            return f"closed {closed.rcvd.code if closed.rcvd else None}"
        assert isinstance(opening, SyncStep1)
        await peer.send(encode_message(SubscribeSaved()))
        assert await peer.recv_message() == SavedNotice(acknowledged=0, seq=0)
        await peer.send(encode_message(SyncUpdate(Typist().type(text))))
        reply = await peer.recv_until(lambda m: isinstance(m, (AuthMessage, SavedNotice)))
        if isinstance(reply, AuthMessage):
            assert reply.permission_denied_reason is not None
            return READ_ONLY
        assert isinstance(reply, SavedNotice)
        assert reply.acknowledged == 1
        return READ_WRITE
    finally:
        await peer.close()


@pytest.mark.parametrize("room", list(EXPECTED), ids=lambda r: f"{r[0]}{'-archived' * r[1]}")
async def test_document_matrix_over_the_socket(
    server: RunningServer, people: People, room: tuple[str, bool]
) -> None:
    visibility, archived = room
    services = services_of(server)
    name = f"проект-{visibility}-{archived}"
    await make_room(
        services, people, "room", visibility=visibility, documents=(name,), archived=archived
    )
    # an owner watches the document: what reaches it is what was relayed
    watcher = await RawPeer.open(document_url(server, name, people.token("owner")))
    assert isinstance(await watcher.recv_message(), SyncStep1)

    outcomes = {}
    for caller in CALLERS:
        outcomes[caller] = await try_document(server, name, people.token(caller), f"<{caller}>")
    assert outcomes == EXPECTED[room]

    writers = {c for c, outcome in outcomes.items() if outcome == READ_WRITE}
    relayed: set[str] = set()
    while len(relayed) < len(writers):
        message = await watcher.recv_until(lambda m: isinstance(m, SyncUpdate))
        assert isinstance(message, SyncUpdate)
        relayed.add(text_of(message.update).strip("<>"))
    assert relayed == writers
    await watcher.close()

    stored = await services.log.load(name)
    document = services.backend.new_document()
    for update in stored.updates:
        document.restore(update)
    content = str(document.render().get("content", ""))
    assert {c for c in CALLERS if f"<{c}>" in content} == writers
    assert len(stored.updates) == len(writers)  # denied writes left nothing in the log


@pytest.mark.parametrize("room", list(EXPECTED), ids=lambda r: f"{r[0]}{'-archived' * r[1]}")
async def test_document_matrix_over_http(
    server: RunningServer, people: People, room: tuple[str, bool]
) -> None:
    visibility, archived = room
    name = "протокол"
    await make_room(
        services_of(server),
        people,
        "room",
        visibility=visibility,
        documents=(name,),
        archived=archived,
    )
    statuses = {}
    async with httpx.AsyncClient(base_url=server.http) as http:
        for caller in CALLERS:
            token = people.token(caller)
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            content = await http.get(f"/api/v1/documents/{name}", headers=headers)
            history = await http.get(f"/api/v1/documents/{name}/history", headers=headers)
            assert content.status_code == history.status_code, (caller, history.text)
            if content.status_code == 404:  # the same answer as for a document that is not
                assert content.json()["type"] == "urn:veche:problem:document-not-found"
            statuses[caller] = content.status_code
    assert statuses == {caller: http_expected(room, caller) for caller in CALLERS}


async def test_unknown_documents_and_documents_outside_rooms_are_4404(
    database_url: str, tmp_path: object
) -> None:
    # a document made while documents outside rooms were served, then the default again
    async with serve_in_process(strict(database_url, open_documents=True)) as server:
        assert await try_document(server, "loose", None, "x") == READ_WRITE
    async with serve_in_process(strict(database_url)) as server:
        people = await make_people(services_of(server))
        for name in ("loose", "never-made"):
            for caller in ("anonymous", "owner"):
                outcome = await try_document(server, name, people.token(caller), "y")
                assert outcome == NOT_FOUND, (name, caller)
        async with httpx.AsyncClient(base_url=server.http) as http:
            assert (await http.get("/api/v1/documents/loose")).status_code == 404
        stored = await services_of(server).log.load("loose")
        assert stored.last_seq == 1  # the refused write was not stored


async def test_a_room_document_records_its_author(server: RunningServer, people: People) -> None:
    await make_room(services_of(server), people, "room", visibility="private", documents=("d",))
    assert await try_document(server, "d", people.token("participant"), "текст") == READ_WRITE
    async with httpx.AsyncClient(base_url=server.http) as http:
        headers = {"Authorization": f"Bearer {people.token('observer')}"}
        history = (await http.get("/api/v1/documents/d/history", headers=headers)).json()
    assert [v["author"] for v in history["versions"]] == ["participant"]
