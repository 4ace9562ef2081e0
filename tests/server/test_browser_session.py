"""Browser sessions (DESIGN §2.5): the refresh token in an HttpOnly, SameSite=Strict cookie,
the access token only in the answer, and an Origin check on every cookie-signed request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from server.accounts.service import REFRESH_RETRY_GRACE
from server.services import Services
from server.settings import Settings
from storage.models import utc_now
from tests.support.rooms import services_of
from tests.support.server import RunningServer, serve_in_process

KEY = "test-signing-key-of-at-least-32-characters"
PASSWORD = "correct horse battery"
COOKIE = "veche_session"


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=database_url,
        secret_key=KEY,
        allowed_origins=("https://veche.example",),
    )
    async with serve_in_process(settings) as running:
        services: Services = running.app.state.services  # type: ignore[attr-defined]
        await services.accounts.create_user("ана", PASSWORD)
        yield running


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http) as client:
        yield client


def own_origin(server: RunningServer) -> dict[str, str]:
    return {"Origin": server.http}


async def browser_login(http: httpx.AsyncClient) -> httpx.Response:
    answer = await http.post(
        "/api/v1/auth/login", json={"name": "ана", "password": PASSWORD, "cookie": True}
    )
    assert answer.status_code == 200, answer.text
    return answer


async def test_a_browser_login_puts_the_refresh_token_only_in_a_strict_httponly_cookie(
    http: httpx.AsyncClient,
) -> None:
    answer = await browser_login(http)
    body = answer.json()
    assert body["refresh_token"] is None
    assert body["access_token"]
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "path=/api/v1/auth" in cookie.lower()
    assert "secure" not in attributes  # plain http on loopback
    assert answer.headers["cache-control"] == "no-store"
    me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["name"] == "ана"


async def test_the_cookie_is_secure_when_served_over_https(http: httpx.AsyncClient) -> None:
    # uvicorn trusts X-Forwarded-Proto from 127.0.0.1, as from a TLS-terminating proxy
    answer = await http.post(
        "/api/v1/auth/login",
        json={"name": "ана", "password": PASSWORD, "cookie": True},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert answer.status_code == 200
    assert "; secure" in answer.headers["set-cookie"].lower()


async def test_an_api_login_still_answers_the_refresh_token_and_sets_no_cookie(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.post("/api/v1/auth/login", json={"name": "ана", "password": PASSWORD})
    assert answer.json()["refresh_token"]
    assert "set-cookie" not in answer.headers


async def test_the_cookie_refreshes_from_this_site_and_rotates(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    await browser_login(http)
    first = http.cookies[COOKIE]
    answer = await http.post("/api/v1/auth/refresh", json={}, headers=own_origin(server))
    assert answer.status_code == 200, answer.text
    assert answer.json()["refresh_token"] is None
    assert answer.json()["access_token"]
    assert http.cookies[COOKIE] != first
    # the replaced cookie presented again within seconds passes (a reload may have lost the
    # answer) and gets the owner's current cookie; once the owner's has rotated and the grace
    # is over, the replayed one revokes the session, and the owner's cookie with it
    async with httpx.AsyncClient(base_url=server.http, cookies={COOKIE: first}) as thief:
        stolen = await thief.post("/api/v1/auth/refresh", json={}, headers=own_origin(server))
        assert stolen.status_code == 200
        assert stolen.cookies[COOKIE] == http.cookies[COOKIE]
        again = await http.post("/api/v1/auth/refresh", json={}, headers=own_origin(server))
        assert again.status_code == 200
        sign_in = services_of(server).sign_in
        sign_in.clock = lambda: utc_now() + REFRESH_RETRY_GRACE + timedelta(seconds=1)
        later = await thief.post("/api/v1/auth/refresh", json={}, headers=own_origin(server))
        assert later.status_code == 401
        owner = await http.post("/api/v1/auth/refresh", json={}, headers=own_origin(server))
        assert owner.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://evil.example"}, {"Origin": "null"}],
    ids=["no-origin", "foreign-origin", "opaque-origin"],
)
async def test_a_cookie_refresh_from_another_site_is_refused_and_changes_nothing(
    server: RunningServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await browser_login(http)
    cookie = http.cookies[COOKIE]
    answer = await http.post("/api/v1/auth/refresh", json={}, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["type"].endswith("cross-site-request")
    assert http.cookies[COOKIE] == cookie
    # the session is intact: the same cookie still refreshes from this site
    ok = await http.post("/api/v1/auth/refresh", json={}, headers=own_origin(server))
    assert ok.status_code == 200


async def test_an_allowed_origin_may_use_the_cookie(http: httpx.AsyncClient) -> None:
    await browser_login(http)
    answer = await http.post(
        "/api/v1/auth/refresh", json={}, headers={"Origin": "https://veche.example"}
    )
    assert answer.status_code == 200


async def test_a_refresh_with_neither_body_nor_cookie_is_unauthenticated(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    answer = await http.post("/api/v1/auth/refresh", json={}, headers=own_origin(server))
    assert answer.status_code == 401


async def test_logout_revokes_the_session_and_clears_the_cookie(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    token = (await browser_login(http)).json()["access_token"]
    cookie = http.cookies[COOKIE]
    answer = await http.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}", **own_origin(server)}
    )
    assert answer.status_code == 204
    cleared = answer.headers["set-cookie"].lower()
    assert cleared.startswith(f"{COOKIE}=")
    assert "max-age=0" in cleared
    async with httpx.AsyncClient(base_url=server.http, cookies={COOKIE: cookie}) as old:
        after = await old.post("/api/v1/auth/refresh", json={}, headers=own_origin(server))
    assert after.status_code == 401
