"""Issue 10 over real HTTP on SQLite and PostgreSQL: search does not reveal hidden messages,
concurrent membership changes keep an owner and never answer 500, and a new SQLite database
is readable by its owner only."""

from __future__ import annotations

import asyncio
import itertools
import os
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from client import LiveClient
from server.cli import main
from server.rooms.commands import NewRoom
from storage.database import Database
from storage.models import utc_now
from tests.support.room_server import private_room_people, strict, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People, services_of
from tests.support.server import RunningServer, serve_in_process


def _headers(people: People, caller: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people.token(caller)}"}


# -- search ---------------------------------------------------------------------------------
async def _search(
    http: httpx.AsyncClient, people: People, caller: str, q: str, **params: Any
) -> dict[str, Any]:
    response = await http.get(
        "/api/v1/rooms/room/messages/search",
        params={"q": q, **params},
        headers=_headers(people, caller),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_word_only_hidden_messages_hold_answers_as_a_word_found_nowhere(
    server: RunningServer, people: People
) -> None:
    async with LiveClient(server.live, "room", token=people.token("participant")) as live:
        posted = [(await live.send("post", body=body))["message_id"] for body in (
            "Бюджет за училището", "Тайна сметка на кмета", "Бюджет за пътищата",
            "Бюджет и тайна", "Бюджет за парка", "Бюджет за спорта",
        )]  # fmt: skip
    hidden = [posted[1], posted[3], posted[4]]
    async with LiveClient(server.live, "room", token=people.token("moderator")) as live:
        for message_id in hidden:
            await live.send("hide", message_id=message_id, reason="лични данни")
    async with httpx.AsyncClient(base_url=server.http) as http:
        for caller in ("observer", "participant"):
            for limit in (1, 2, 50):
                # prefixes of the hidden words: before the fix, next_before named the hidden
                # message for each prefix it held, so its words could be rebuilt letter by letter
                for prefix in ("т", "та", "тай", "тайна", "сметка", "кмета"):
                    found = await _search(http, people, caller, prefix, limit=limit)
                    nowhere = await _search(http, people, caller, "щъркел", limit=limit)
                    assert found == nowhere == {"messages": [], "next_before": None}

            # a page boundary with hidden matches between the visible ones
            seen, before = [], None
            for _ in range(len(posted)):
                extra: dict[str, int] = {} if before is None else {"before": before}
                page = await _search(http, people, caller, "бюджет", limit=2, **extra)
                seen += [m["id"] for m in page["messages"]]
                assert page["next_before"] in (None, *seen)
                before = page["next_before"]
                if before is None:
                    break
            assert seen == [posted[5], posted[2], posted[0]]

        # moderators still find hidden messages, with their text
        every = await _search(http, people, "moderator", "тайна")
        assert [m["id"] for m in every["messages"]] == [posted[3], posted[1]]
        assert every["messages"][0]["body"] == "Бюджет и тайна"


# -- membership under concurrency -------------------------------------------------------------
ROOMS = 4


async def _owners(server: RunningServer, slug: str) -> list[str]:
    rooms = services_of(server).rooms.store
    room = await rooms.find_room(slug)
    assert room is not None
    return [m.name for m in await rooms.members(room.id) if m.role == "owner"]


async def test_owners_demoting_each_other_at_once_leave_every_room_an_owner(
    server: RunningServer, people: People
) -> None:
    services = services_of(server)
    co_owners = ["owner", "moderator", "participant"]
    for n in range(ROOMS):
        view = await services.rooms.create(people.users["owner"], NewRoom(slug=f"r{n}"), None)
        for name in co_owners[1:]:
            await services.rooms.set_member(view, name, "owner", None)

    async def change(client: httpx.AsyncClient, n: int, actor: str, target: str) -> int:
        url = f"/api/v1/rooms/r{n}/members/{target}"
        headers = _headers(people, actor)
        if (n + len(actor)) % 2:
            response = await client.delete(url, headers=headers)
        else:
            response = await client.put(url, json={"role": "observer"}, headers=headers)
        if response.status_code == 409:
            assert response.json()["type"] == "urn:veche:problem:last-owner"
        return response.status_code

    # one client (connection pool) per owner, every owner demoting every other one at once
    clients = {name: httpx.AsyncClient(base_url=server.http, timeout=60) for name in co_owners}
    try:
        statuses = await asyncio.gather(
            *(
                change(clients[actor], n, actor, target)
                for n in range(ROOMS)
                for actor, target in itertools.permutations(co_owners, 2)
            )
        )
    finally:
        for client in clients.values():
            await client.aclose()
    # 403: the actor had been demoted already when its request was read; 404: removed already
    assert set(statuses) <= {200, 204, 403, 404, 409}, Counter(statuses)
    for n in range(ROOMS):
        assert len(await _owners(server, f"r{n}")) >= 1, n


async def test_concurrent_member_changes_from_many_clients_never_answer_500(
    server: RunningServer, people: People
) -> None:
    services = services_of(server)
    names = [f"член-{n}" for n in range(12)]
    for name in names:
        await services.accounts.store.create_user(
            name, display_name=name, locale="bg", password_hash=None, is_admin=False,
            created_at=utc_now(),
        )  # fmt: skip
    roles = ("observer", "participant", "moderator", "participant")

    async def client_work(n: int) -> list[int]:
        async with httpx.AsyncClient(base_url=server.http, timeout=60) as client:
            statuses = []
            for step, role in enumerate(roles):
                name = names[(n + step) % len(names)]
                response = await client.put(
                    f"/api/v1/rooms/room/members/{name}",
                    json={"role": role},
                    headers=_headers(people, "owner" if n % 2 else "moderator"),
                )
                statuses.append(response.status_code)
            return statuses

    statuses = [s for each in await asyncio.gather(*map(client_work, range(8))) for s in each]
    assert set(statuses) <= {200, 201}, Counter(statuses)


# -- file permissions -----------------------------------------------------------------------
@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which files were created world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
async def test_a_new_sqlite_database_and_its_directory_are_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "veche.db"
    url = f"sqlite+aiosqlite:///{path}"
    code = await asyncio.to_thread(main, ["db", "upgrade", "--database-url", url])
    assert code == 0
    assert _mode(path.parent) == 0o700
    assert _mode(path) == 0o600
    async with Database(url) as database, database.engine.connect() as connection:
        # while a connection is open the WAL and its index exist
        await connection.execute(text("CREATE TABLE probe (x INTEGER)"))
        await connection.commit()
        for suffix in ("-wal", "-shm"):
            assert _mode(path.with_name(path.name + suffix)) == 0o600, suffix


@pytest.mark.usefixtures("usual_umask")
async def test_serving_a_fresh_path_makes_private_files(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "veche.db"
    async with serve_in_process(strict(f"sqlite+aiosqlite:///{path}")) as running:
        async with httpx.AsyncClient(base_url=running.http) as http:
            assert (await http.get("/healthz")).status_code == 200
        files = [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))]
        assert {f.name: _mode(f) for f in files if f.exists()} == {f.name: 0o600 for f in files}
    assert _mode(path.parent) == _mode(path.parent.parent) == 0o700


def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    # the operator's directory is theirs to set; only what Veche creates is made private
    tmp_path.chmod(0o755)
    Database(f"sqlite+aiosqlite:///{tmp_path / 'veche.db'}")
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "veche.db") == 0o600
