"""While the database cannot serve, the API answers 503 `database-unavailable` with
Retry-After, stores nothing, and serves again once the database is back (docs/http-api.md)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from server.services import Services
from server.settings import Settings
from tests.nodes.test_outages import database_down
from tests.server.test_auth_http import KEY, PASSWORD, assert_problem, bearer
from tests.support.server import RunningServer, serve_in_process

LOGIN = {"name": "ана", "password": PASSWORD}


@contextlib.asynccontextmanager
async def serving(database_url: str) -> AsyncIterator[RunningServer]:
    async with serve_in_process(Settings(database_url=database_url, secret_key=KEY)) as running:
        await _services(running).accounts.create_user("ана", PASSWORD)
        yield running


def _services(server: RunningServer) -> Services:
    services: Services = server.app.state.services  # type: ignore[attr-defined]
    return services


async def _audited(server: RunningServer) -> int:
    return len(await _services(server).audit.page(limit=200))


def assert_database_away(response: httpx.Response, detail: str) -> None:
    body = assert_problem(response, 503, "database-unavailable")
    assert response.headers["retry-after"] == "2"
    assert body["detail"] == detail


async def test_a_write_past_the_wait_for_the_sqlite_lock_is_refused_with_503(
    sqlite_url: str,
) -> None:
    # a writer waits 0.3 s for another writer's lock, then gives up
    async with (
        serving(f"{sqlite_url}?timeout=0.3") as server,
        httpx.AsyncClient(base_url=server.http) as http,
    ):
        before = await _audited(server)
        other_writer = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None)
        try:
            other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock past the 0.3 s
            refused = await http.post(
                "/api/v1/auth/login", json=LOGIN, headers={"Accept-Language": "bg"}
            )
            assert_database_away(
                refused, "базата данни е недостъпна в момента; опитайте отново след малко"
            )
        finally:
            other_writer.execute("ROLLBACK")
            other_writer.close()
        assert await _audited(server) == before  # the refused login stored nothing
        signed_in = await http.post("/api/v1/auth/login", json=LOGIN)
        assert signed_in.status_code == 200, signed_in.text
        assert await _audited(server) == before + 1


@pytest.mark.postgres
async def test_while_postgresql_is_away_reads_and_writes_answer_503_then_serve_again(
    postgres_url: str,
) -> None:
    async with serving(postgres_url) as server, httpx.AsyncClient(base_url=server.http) as http:
        signed_in = await http.post("/api/v1/auth/login", json=LOGIN)
        token = signed_in.json()["access_token"]
        async with database_down(postgres_url):
            detail = "the database cannot be reached now; try again in a moment"
            english = {"Accept-Language": "en"}
            me = await http.get("/api/v1/me", headers={**bearer(token), **english})
            assert_database_away(me, detail)
            login = await http.post("/api/v1/auth/login", json=LOGIN, headers=english)
            assert_database_away(login, detail)
        me = await http.get("/api/v1/me", headers=bearer(token))
        assert me.status_code == 200, me.text
        assert me.json()["name"] == "ана"
