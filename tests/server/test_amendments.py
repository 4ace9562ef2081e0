"""Amendments and anchored comments over a real server (docs/amendments.md): forks seeded
with the base, concurrent edits, the diff, the merge through the base's normal update path,
comments whose anchors follow the text; who may do what. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Map, Text
from sqlalchemy import select

from client import DocumentClient, byte_offset
from crdt.document import available_backends
from crdt.messages import SyncStep1, SyncUpdate, encode_message
from server.settings import Settings
from storage.models import UpdateRecord
from tests.server.test_document_access import document_url
from tests.support.room_server import strict
from tests.support.rooms import CALLERS, People, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process
from tests.support.waiting import eventually
from tests.support.wire import RawPeer

BASE = "проект-решение"
LAW = "Чл. 1. Общината подкрепя гражданските организации.\nЧл. 2. Срокът е 30 дни.\n"


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    async with serve_in_process(strict(database_url, unload_grace=0.1)) as running:
        yield running


@pytest.fixture
async def people(server: RunningServer) -> People:
    return await make_people(services_of(server))


def bearer(people: People, caller: str) -> dict[str, str]:
    token = people.token(caller)
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def api(server: RunningServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"{server.http}/api/v1/documents", timeout=30)


def client(server: RunningServer, people: People, caller: str, name: str) -> DocumentClient:
    return DocumentClient(server.yjs, name, token=people.token(caller), reconnect=False)


def text(client: DocumentClient) -> Text:
    found: Text = client.doc.get("content", type=Text)
    return found


def insert(client: DocumentClient, index: int, value: str) -> None:
    """Insert at a code point offset (pycrdt counts UTF-8 bytes)."""
    content = text(client)
    content.insert(byte_offset(str(content), index), value)


def delete(client: DocumentClient, start: int, end: int) -> None:
    content = text(client)
    value = str(content)
    del content[byte_offset(value, start) : byte_offset(value, end)]


async def write(server: RunningServer, people: People, name: str, value: str) -> None:
    async with client(server, people, "participant", name) as writer:
        insert(writer, len(str(text(writer))), value)
        await writer.wait_saved()


async def unloaded(server: RunningServer, *names: str) -> None:
    documents = services_of(server).documents

    async def gone() -> bool:
        return not any(name in documents for name in names)

    await eventually(gone)


async def origins(server: RunningServer, name: str) -> list[tuple[int, str, str | None]]:
    """(seq, origin, author) of every update in the document's log."""
    services = services_of(server)
    stored = await services.log.find_document(name)
    assert stored is not None
    query = (
        select(UpdateRecord.seq, UpdateRecord.origin, UpdateRecord.author)
        .where(UpdateRecord.document_id == stored.id)
        .order_by(UpdateRecord.seq)
    )
    async with services.database.sessionmaker() as session:
        return [(r.seq, r.origin, r.author) for r in await session.execute(query)]


async def content(http: httpx.AsyncClient, people: People, name: str) -> str:
    response = await http.get(f"/{name}", headers=bearer(people, "observer"))
    assert response.status_code == 200, response.text
    return str(response.json()["content"].get("content", ""))


# -- fork, concurrent edits, merge ---------------------------------------------------------


async def test_fork_concurrent_edits_and_merge_keep_both_sets_of_changes(
    server: RunningServer, people: People
) -> None:
    await make_room(services_of(server), people, "room", visibility="private", documents=(BASE,))
    async with client(server, people, "participant", BASE) as base, api(server) as http:
        insert(base, 0, LAW)
        await base.wait_saved()
        # the base is in memory, with its updates perhaps not committed: the fork reads that
        forked = await http.post(
            f"/{BASE}/forks", json={"name": "поправка-1"}, headers=bearer(people, "moderator")
        )
        assert forked.status_code == 201, forked.text
        fork = forked.json()
        assert fork["document"] == "поправка-1"
        assert fork["base"] == BASE
        assert fork["created_by"] == "moderator"
        assert fork["base_seq"] == 1
        assert fork["merged"] is None
        assert await content(http, people, "поправка-1") == LAW
        assert await origins(server, "поправка-1") == [(1, "fork", "moderator")]

        async with client(server, people, "moderator", "поправка-1") as amendment:
            assert str(text(amendment)) == LAW
            # concurrently: the base gets a preamble, the amendment a new article and a word
            insert(base, 0, "Преамбула.\n")
            await base.wait_saved()
            insert(amendment, len(LAW), "Чл. 3. Нов член.\n")
            at = LAW.index("30 дни")
            delete(amendment, at, at + 2)
            insert(amendment, at, "14")
            await amendment.wait_saved()

        diff = (await http.get("/поправка-1/diff", headers=bearer(people, "observer"))).json()
        assert diff["against"] == "fork"
        assert diff["base_seq"] == 1
        body = diff["roots"]["content"]
        assert body["base"] == LAW
        assert body["amendment"] == LAW.replace("30 дни", "14 дни") + "Чл. 3. Нов член.\n"
        assert body["changes"] == [
            {
                "op": "replace",
                "base_lines": [1, 2],
                "amendment_lines": [1, 3],
                "removed": "Чл. 2. Срокът е 30 дни.\n",
                "added": "Чл. 2. Срокът е 14 дни.\nЧл. 3. Нов член.\n",
            }
        ]
        assert body["unified"] == (
            f"--- {BASE}/content\n+++ поправка-1/content\n@@ -1,2 +1,3 @@\n"
            " Чл. 1. Общината подкрепя гражданските организации.\n"
            "-Чл. 2. Срокът е 30 дни.\n+Чл. 2. Срокът е 14 дни.\n+Чл. 3. Нов член.\n"
        )
        now = await http.get("/поправка-1/diff?against=base", headers=bearer(people, "owner"))
        assert now.json()["roots"]["content"]["base"].startswith("Преамбула.\n")

        merged = await http.post("/поправка-1/merge", headers=bearer(people, "owner"))
        assert merged.status_code == 200, merged.text
        result = merged.json()
        assert result["applied"] is True
        seq = result["seq"]
        assert seq == 3  # the base's text, its preamble, then the merge
        assert result["fork"]["merged"]["by"] == "owner"
        assert result["fork"]["merged"]["seq"] == seq

        expected = "Преамбула.\n" + LAW.replace("30 дни", "14 дни") + "Чл. 3. Нов член.\n"
        # the connected base client received the merge as an ordinary update
        await base.wait_until(lambda: str(text(base)) == expected)
        assert await content(http, people, BASE) == expected
        assert (await origins(server, BASE))[-1] == (seq, "merge", "owner")
        history = await http.get(f"/{BASE}/history?order=asc", headers=bearer(people, "observer"))
        versions = history.json()["versions"]
        assert versions[-1]["author"] == "owner"
        assert (versions[-1]["first_seq"], versions[-1]["last_seq"]) == (seq, seq)

        # merging again: the base has it all; nothing is logged, nothing duplicated
        again = (await http.post("/поправка-1/merge", headers=bearer(people, "owner"))).json()
        assert again["applied"] is False
        assert again["seq"] is None
        assert again["fork"]["merged"]["seq"] == seq
        assert str(text(base)) == expected
        assert await content(http, people, BASE) == expected
        assert len(await origins(server, BASE)) == seq

        listed = (await http.get(f"/{BASE}/forks", headers=bearer(people, "observer"))).json()
        assert [f["document"] for f in listed["forks"]] == ["поправка-1"]

    audit = await services_of(server).audit.page(limit=10)
    actions = [event.action for event in audit]
    assert "document.forked" in actions
    assert "document.merged" in actions


async def test_fork_and_merge_of_documents_not_in_memory_read_and_load_the_log(
    server: RunningServer, people: People
) -> None:
    await make_room(services_of(server), people, "room", visibility="private", documents=(BASE,))
    await write(server, people, BASE, LAW)
    await unloaded(server, BASE)
    async with api(server) as http:
        forked = await http.post(
            f"/{BASE}/forks", json={"name": "поправка"}, headers=bearer(people, "participant")
        )
        assert forked.status_code == 201, forked.text
        assert forked.json()["base_seq"] == 1
        await write(server, people, "поправка", "Чл. 3. Нов член.\n")
        await write(server, people, BASE, "Чл. 4. Краен член.\n")
        await unloaded(server, BASE, "поправка")

        merged = await http.post("/поправка/merge", headers=bearer(people, "participant"))
        assert merged.json()["applied"] is True
        await unloaded(server, BASE)  # loaded for the merge, unloaded after the grace period
        text_now = await content(http, people, BASE)
        # both were appended to LAW concurrently: Yjs orders them by client id
        assert text_now.startswith(LAW)
        assert text_now.count("Чл. 3.") == 1
        assert text_now.count("Чл. 4.") == 1
        again = (await http.post("/поправка/merge", headers=bearer(people, "participant"))).json()
        assert again["applied"] is False
        assert await content(http, people, BASE) == text_now
        assert [origin for _seq, origin, _author in await origins(server, BASE)] == [
            "connection",
            "connection",
            "merge",
        ]


async def test_a_merge_carries_the_amendments_deletions_and_later_edits(
    server: RunningServer, people: People
) -> None:
    await make_room(services_of(server), people, "room", visibility="private", documents=(BASE,))
    await write(server, people, BASE, LAW)
    async with api(server) as http:
        headers = bearer(people, "participant")
        await http.post(f"/{BASE}/forks", json={"name": "съкращение"}, headers=headers)
        async with client(server, people, "participant", "съкращение") as amendment:
            delete(amendment, LAW.index("Чл. 2."), len(LAW))
            await amendment.wait_saved()
        assert (await http.post("/съкращение/merge", headers=headers)).json()["applied"]
        assert await content(http, people, BASE) == LAW[: LAW.index("Чл. 2.")]
        # the amendment goes on after its merge: merging again brings only what is new
        await write(server, people, "съкращение", "Чл. 2. Нов срок.\n")
        second = (await http.post("/съкращение/merge", headers=headers)).json()
        assert second["applied"] is True
        assert await content(http, people, BASE) == LAW[: LAW.index("Чл. 2.")] + (
            "Чл. 2. Нов срок.\n"
        )


# -- anchored comments ----------------------------------------------------------------------


async def test_an_anchored_comment_survives_inserts_before_and_inside_its_range(
    server: RunningServer, people: People
) -> None:
    await make_room(services_of(server), people, "room", visibility="private", documents=(BASE,))
    await write(server, people, BASE, LAW)
    start = LAW.index("подкрепя")
    async with api(server) as http:
        posted = await http.post(
            f"/{BASE}/comments",
            json={"start": start, "end": start + len("подкрепя"), "body": "Как точно?"},
            headers=bearer(people, "observer"),  # observers comment too
        )
        assert posted.status_code == 201, posted.text
        comment = posted.json()
        assert comment["text"] == comment["quote"] == "подкрепя"
        assert (comment["start"], comment["end"]) == (start, start + 8)
        assert comment["author"] == {"name": "observer", "display_name": "Observer"}
        assert comment["root"] == "content"
        assert comment["deleted"] is False

        async def listed() -> dict[str, Any]:
            response = await http.get(f"/{BASE}/comments", headers=bearer(people, "observer"))
            assert response.status_code == 200, response.text
            comments = response.json()["comments"]
            assert len(comments) == 1
            found: dict[str, Any] = comments[0]
            return found

        async with client(server, people, "participant", BASE) as editor:
            insert(editor, 0, "Проект 🗳️: ")  # before the range, with astral characters
            at = str(text(editor)).index("подкрепя") + 3
            insert(editor, at, "ЖЖ")  # inside the range
            await editor.wait_saved()
            # resolved against the document in memory
            now = await listed()
            value = str(text(editor))
            assert now["text"] == "подЖЖкрепя"
            assert value[now["start"] : now["end"]] == "подЖЖкрепя"
            assert now["start"] == start + len("Проект 🗳️: ")
            assert now["quote"] == "подкрепя"
            assert now["deleted"] is False
        await unloaded(server, BASE)
        assert await listed() == now  # and against the log: the same answer

        async with client(server, people, "participant", BASE) as editor:
            begin = str(text(editor)).index("Общината подЖЖкрепя")
            delete(editor, begin, begin + len("Общината подЖЖкрепя "))
            await editor.wait_saved()
            gone = await listed()
            assert gone["text"] == ""
            assert gone["start"] == gone["end"] == begin
            assert gone["deleted"] is True
            assert gone["quote"] == "подкрепя"


async def test_comment_input_is_checked(server: RunningServer, people: People) -> None:
    await make_room(services_of(server), people, "room", visibility="private", documents=(BASE,))
    await write(server, people, BASE, "абв")
    peer = await RawPeer.open(document_url(server, BASE, people.token("participant")))
    assert isinstance(await peer.recv_message(), SyncStep1)
    doc: Doc[Any] = Doc(client_id=7)
    doc.get("meta", type=Map)["title"] = "заглавие"
    await peer.send(encode_message(SyncUpdate(doc.get_update())))
    await peer.close()
    headers = bearer(people, "participant")
    cases: list[tuple[Any, int, str | None]] = [
        ({"start": 0, "end": 3, "body": "добре"}, 201, None),
        ({"start": 1, "end": 1, "body": "празно"}, 422, "end"),
        ({"start": 2, "end": 4, "body": "извън"}, 422, "end"),
        ({"start": -1, "end": 2, "body": "x"}, 422, "start"),
        ({"start": True, "end": 2, "body": "x"}, 422, "start"),
        ({"start": 0, "end": "2", "body": "x"}, 422, "end"),
        ({"start": 0, "end": 2, "body": "  "}, 422, "body"),
        ({"start": 0, "end": 2, "body": "x" * 10001}, 422, "body"),
        ({"start": 0, "end": 2}, 422, "body"),
        ({"start": 0, "end": 2, "body": "x", "root": "meta"}, 422, "root"),
        ({"start": 0, "end": 2, "body": "x", "root": ""}, 422, "root"),
        ({"start": 0, "end": 1, "body": "x", "root": "absent"}, 422, "end"),
        ([1, 2], 400, None),
    ]
    async with api(server) as http:
        await eventually(lambda: _has_meta(http, people))
        for body, status, parameter in cases:
            response = await http.post(f"/{BASE}/comments", json=body, headers=headers)
            assert response.status_code == status, (body, response.text)
            if parameter is not None:
                assert response.json()["parameter"] == parameter, body
        listed = (await http.get(f"/{BASE}/comments", headers=headers)).json()["comments"]
        assert [c["text"] for c in listed] == ["абв"]


async def _has_meta(http: httpx.AsyncClient, people: People) -> bool:
    response = await http.get(f"/{BASE}", headers=bearer(people, "observer"))
    return "meta" in response.json()["content"]


# -- who may --------------------------------------------------------------------------------

# caller -> status, in a private room and a public one; "fork" and "merge" are participant+,
# "comment" observer+, the reads everyone who may read the document.
PRIVATE = {
    "anonymous": {"read": 404, "comment": 404, "fork": 404, "merge": 404},
    "bad-token": {"read": 401, "comment": 401, "fork": 401, "merge": 401},
    "outsider": {"read": 404, "comment": 404, "fork": 404, "merge": 404},
    "observer": {"read": 200, "comment": 201, "fork": 403, "merge": 403},
    "participant": {"read": 200, "comment": 201, "fork": 201, "merge": 200},
    "moderator": {"read": 200, "comment": 201, "fork": 201, "merge": 200},
    "owner": {"read": 200, "comment": 201, "fork": 201, "merge": 200},
}
PUBLIC = {
    **PRIVATE,
    "anonymous": {"read": 200, "comment": 401, "fork": 401, "merge": 401},
    "outsider": {"read": 200, "comment": 403, "fork": 403, "merge": 403},
}
ARCHIVED = {
    **PRIVATE,
    **{
        role: {"read": 200, "comment": 403, "fork": 403, "merge": 403}
        for role in ("observer", "participant", "moderator", "owner")
    },
}  # an archived room is read-only: 403 room-archived (an observer's fork: 403 forbidden)


@pytest.mark.parametrize(
    ("visibility", "archived", "expected"),
    [("private", False, PRIVATE), ("public", False, PUBLIC), ("private", True, ARCHIVED)],
    ids=["private", "public", "private-archived"],
)
async def test_who_may_fork_merge_comment_and_read(
    server: RunningServer,
    people: People,
    visibility: str,
    archived: bool,
    expected: dict[str, dict[str, int]],
) -> None:
    services = services_of(server)
    view = await make_room(services, people, "room", visibility=visibility, documents=(BASE,))
    await write(server, people, BASE, LAW)
    async with api(server) as http:
        made = await http.post(
            f"/{BASE}/forks", json={"name": "поправка"}, headers=bearer(people, "owner")
        )
        assert made.status_code == 201
        if archived:
            await services.rooms.archive(view, None)
        outcomes: dict[str, dict[str, int]] = {}
        for caller in CALLERS:
            headers = bearer(people, caller)
            reads = {
                (await http.get(path, headers=headers)).status_code
                for path in (
                    f"/{BASE}/forks",
                    f"/{BASE}/comments",
                    "/поправка/diff",
                    "/поправка/comments",
                )
            }
            assert len(reads) == 1, (caller, reads)
            comment = await http.post(
                f"/{BASE}/comments", json={"start": 0, "end": 3, "body": "x"}, headers=headers
            )
            fork = await http.post(f"/{BASE}/forks", json={"name": f"от-{caller}"}, headers=headers)
            merge = await http.post("/поправка/merge", headers=headers)
            outcomes[caller] = {
                "read": reads.pop(),
                "comment": comment.status_code,
                "fork": fork.status_code,
                "merge": merge.status_code,
            }
            for response in (comment, fork, merge):
                if response.status_code == 404:  # as if the document did not exist
                    assert response.json()["type"] == "urn:veche:problem:document-not-found"
                if response.status_code == 403 and archived and response is comment:
                    assert response.json()["type"] == "urn:veche:problem:room-archived"
    assert outcomes == expected


async def test_forks_and_merges_refuse_what_they_cannot_do(
    server: RunningServer, people: People
) -> None:
    await make_room(
        services_of(server), people, "room", visibility="private", documents=(BASE, "друг")
    )
    headers = bearer(people, "participant")
    async with api(server) as http:
        for path in ("/друг/merge", "/друг/diff"):
            method = http.post if path.endswith("merge") else http.get
            response = await method(path, headers=headers)
            assert response.status_code == 409, path
            assert response.json()["type"] == "urn:veche:problem:not-a-fork"
        for body, status, slug in [
            ({"name": "друг"}, 409, "document-exists"),
            ({"name": BASE}, 409, "document-exists"),
            ({"name": ""}, 422, "invalid-parameter"),
            ({}, 422, "invalid-parameter"),
            ({"name": "ред\nнов"}, 422, "invalid-parameter"),
        ]:
            response = await http.post(f"/{BASE}/forks", json=body, headers=headers)
            assert response.status_code == status, (body, response.text)
            assert response.json()["type"] == f"urn:veche:problem:{slug}"
        for path in ("/няма/forks", "/няма/comments", "/няма/diff"):
            assert (await http.get(path, headers=headers)).status_code == 404
        assert (await http.post("/няма/merge", headers=headers)).status_code == 404
        wrong = await http.get("/друг/diff?against=nowhere", headers=headers)
        assert wrong.status_code == 422


async def test_documents_outside_rooms_take_comments_but_not_forks(
    database_url: str,
) -> None:
    async with serve_in_process(strict(database_url, open_documents=True)) as server:
        people = await make_people(services_of(server))
        async with DocumentClient(server.yjs, "loose", reconnect=False) as writer:
            text(writer).insert(0, "свободен текст")
            await writer.wait_saved()
        async with api(server) as http:
            forked = await http.post(
                "/loose/forks", json={"name": "x"}, headers=bearer(people, "owner")
            )
            assert forked.status_code == 422
            assert forked.json()["type"] == "urn:veche:problem:document-outside-rooms"
            comment = {"start": 0, "end": 8, "body": "добре"}
            assert (await http.post("/loose/comments", json=comment)).status_code == 401
            posted = await http.post(
                "/loose/comments", json=comment, headers=bearer(people, "outsider")
            )
            assert posted.status_code == 201
            assert posted.json()["text"] == "свободен"


@pytest.mark.ypy
async def test_amendments_and_comments_with_the_y_py_backend(sqlite_url: str) -> None:
    if "y-py" not in available_backends():
        pytest.skip("the y-py backend is not installed")
    settings: Settings = strict(sqlite_url, crdt_backend="y-py")
    async with serve_in_process(settings) as server:
        people = await make_people(services_of(server))
        await make_room(
            services_of(server), people, "room", visibility="private", documents=(BASE,)
        )
        await write(server, people, BASE, LAW)
        async with api(server) as http:
            headers = bearer(people, "participant")
            await http.post(f"/{BASE}/forks", json={"name": "поправка"}, headers=headers)
            await write(server, people, "поправка", "Чл. 3. Нов член.\n")
            start = LAW.index("Срокът")
            posted = await http.post(
                f"/{BASE}/comments",
                json={"start": start, "end": start + 6, "body": "?"},
                headers=headers,
            )
            assert posted.status_code == 201, posted.text
            assert (await http.post("/поправка/merge", headers=headers)).json()["applied"]
            assert await content(http, people, BASE) == LAW + "Чл. 3. Нов член.\n"
            async with client(server, people, "participant", BASE) as editor:
                insert(editor, 0, "🗳️ ")
                await editor.wait_saved()
            listed = (await http.get(f"/{BASE}/comments", headers=headers)).json()
            assert [c["text"] for c in listed["comments"]] == ["Срокът"]
