"""Login, tokens, logout and the audit log over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from server.accounts.service import REFRESH_RETRY_GRACE, Accounts, SignIn
from server.services import Services
from server.settings import Settings
from storage.models import utc_now
from tests.support.server import RunningServer, serve_in_process

KEY = "test-signing-key-of-at-least-32-characters"
PASSWORD = "correct horse battery"


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=database_url,
        secret_key=KEY,
        login_failures_per_account=3,
        login_failures_per_address=100,
    )
    async with serve_in_process(settings) as running:
        accounts = _services(running).accounts
        await accounts.create_user("ана", PASSWORD, display_name="Ана Иванова")
        await accounts.create_user("admin", PASSWORD, is_admin=True, locale="en")
        yield running


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http) as client:
        yield client


def _services(server: RunningServer) -> Services:
    services: Services = server.app.state.services  # type: ignore[attr-defined]
    return services


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(http: httpx.AsyncClient, name: str = "ана") -> dict[str, Any]:
    response = await http.post("/api/v1/auth/login", json={"name": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/api/v1/auth/refresh", json={"refresh_token": token})


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:veche:problem:{slug}"
    assert body["status"] == status
    return body


async def actions(server: RunningServer) -> list[str]:
    events = await _services(server).audit.page(limit=200)
    return [e.action for e in reversed(events)]


async def test_login_returns_tokens_and_me_answers(http: httpx.AsyncClient) -> None:
    tokens = await login(http)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 900
    assert tokens["refresh_token"]
    me = await http.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert {k: me.json()[k] for k in ("name", "display_name", "locale", "is_admin")} == {
        "name": "ана",
        "display_name": "Ана Иванова",
        "locale": "bg",
        "is_admin": False,
    }


async def test_a_failed_login_never_says_whether_the_user_exists(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    wrong = await http.post("/api/v1/auth/login", json={"name": "ана", "password": "nope"})
    unknown = await http.post("/api/v1/auth/login", json={"name": "никой", "password": "nope"})
    assert assert_problem(wrong, 401, "invalid-credentials") == assert_problem(
        unknown, 401, "invalid-credentials"
    )
    await login(http)
    assert await actions(server) == [
        "user.created",
        "user.created",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login",
    ]
    [success, unknown_event, *_] = await _services(server).audit.page(limit=3)
    assert success.actor_user_id is not None
    assert success.address == "127.0.0.1"
    assert unknown_event.actor_user_id is None
    assert unknown_event.details == {"name": "никой"}


async def test_expired_tampered_and_revoked_access_tokens_are_refused(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    tokens = await login(http)
    sign_in: SignIn = _services(server).sign_in
    payload = sign_in.signer.verify(tokens["access_token"])
    expired = sign_in.access_token(payload["sub"], payload["sid"], utc_now() - timedelta(seconds=1))
    body, mac = tokens["access_token"].split(".")
    elevated = sign_in.signer.sign({**payload, "sub": payload["sub"] + 1}).split(".")[0]
    for token in (expired, f"{elevated}.{mac}", f"{body}.{mac[::-1]}", "vch_unknown", "x"):
        response = await http.get("/api/v1/me", headers=bearer(token))
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert_problem(await http.get("/api/v1/me"), 401, "unauthorized")
    assert_problem(
        await http.get("/api/v1/me", headers={"Authorization": "Basic YTpi"}), 401, "unauthorized"
    )

    logout = await http.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert logout.status_code == 204
    revoked = await http.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert_problem(revoked, 401, "unauthorized")
    assert_problem(await refresh(http, tokens["refresh_token"]), 401, "unauthorized")
    assert (await actions(server))[-1] == "auth.logout"


async def test_refresh_rotates_and_reuse_revokes_the_session(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    first = await login(http)
    rotated = await refresh(http, first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await http.get("/api/v1/me", headers=bearer(second["access_token"]))).status_code == 200

    # past the retry grace, the replaced token is a replay: it revokes the whole session, and
    # the newest tokens die with it
    sign_in = _services(server).sign_in
    sign_in.clock = lambda: utc_now() + REFRESH_RETRY_GRACE + timedelta(seconds=1)
    replay = await refresh(http, first["refresh_token"])
    assert_problem(replay, 401, "unauthorized")
    me = await http.get("/api/v1/me", headers=bearer(second["access_token"]))
    assert_problem(me, 401, "unauthorized")
    again = await refresh(http, second["refresh_token"])
    assert_problem(again, 401, "unauthorized")
    assert "auth.refresh_reused" in await actions(server)

    # an access token is not a refresh token, and other sessions are unaffected
    other = await login(http)
    wrong_kind = await refresh(http, other["access_token"])
    assert_problem(wrong_kind, 401, "unauthorized")
    assert (await http.get("/api/v1/me", headers=bearer(other["access_token"]))).status_code == 200


async def test_a_refresh_whose_answer_was_lost_is_retried_within_the_grace(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    """A page that reloads while its refresh is on the way may never see the new token, or
    keep it without the page seeing it: the old token works again for a few seconds and
    answers the very token the lost answer carried, so either works. Once that one rotates,
    the old token is a replay: presenting it revokes the session."""
    first = await login(http)
    lost = (await refresh(http, first["refresh_token"])).json()
    retries = [await refresh(http, first["refresh_token"]) for _ in range(2)]
    assert [r.status_code for r in retries] == [200, 200]
    assert {r.json()["refresh_token"] for r in retries} == {lost["refresh_token"]}
    me = await http.get("/api/v1/me", headers=bearer(retries[-1].json()["access_token"]))
    assert me.status_code == 200
    assert (await actions(server)).count("auth.refresh_retried") == 2

    rotated = await refresh(http, lost["refresh_token"])  # the kept token works too
    assert rotated.status_code == 200
    newest = rotated.json()["refresh_token"]
    assert newest not in {first["refresh_token"], lost["refresh_token"]}
    assert_problem(await refresh(http, first["refresh_token"]), 401, "unauthorized")
    assert_problem(await refresh(http, newest), 401, "unauthorized")
    assert (await actions(server)).count("auth.refresh_reused") == 1


async def test_api_tokens_are_created_listed_used_and_revoked(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    session = bearer((await login(http))["access_token"])
    created = await http.post("/api/v1/tokens", json={"label": "бот"}, headers=session)
    assert created.status_code == 201
    token = created.json()
    assert token["token"].startswith("vch_")
    assert token["label"] == "бот"

    me = await http.get("/api/v1/me", headers=bearer(token["token"]))
    assert me.json()["name"] == "ана"
    listed = (await http.get("/api/v1/tokens", headers=bearer(token["token"]))).json()["tokens"]
    assert [t["id"] for t in listed] == [token["id"]]
    assert "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None

    # another user cannot see or revoke it
    admin = bearer((await login(http, "admin"))["access_token"])
    assert (await http.get("/api/v1/tokens", headers=admin)).json() == {"tokens": []}
    foreign = await http.delete(f"/api/v1/tokens/{token['id']}", headers=admin)
    assert_problem(foreign, 404, "token-not-found")

    assert (await http.delete(f"/api/v1/tokens/{token['id']}", headers=session)).status_code == 204
    assert_problem(
        await http.delete(f"/api/v1/tokens/{token['id']}", headers=session), 404, "token-not-found"
    )
    revoked = await http.get("/api/v1/me", headers=bearer(token["token"]))
    assert_problem(revoked, 401, "unauthorized")
    [listed_after] = (await http.get("/api/v1/tokens", headers=session)).json()["tokens"]
    assert listed_after["revoked_at"] is not None
    # an API token cannot log out: there is no session to end
    other = (await http.post("/api/v1/tokens", json={}, headers=session)).json()
    assert other["label"] == "api"
    logout = await http.post("/api/v1/auth/logout", headers=bearer(other["token"]))
    assert_problem(logout, 422, "not-a-session")
    log = await actions(server)
    assert log.count("token.issued") == 2
    assert log.count("token.revoked") == 1
    stored = await _services(server).accounts.store.list_api_tokens(1)
    assert all(not hasattr(t, "token_hash") for t in stored)


async def test_login_brute_force_is_throttled_and_audited(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    for _ in range(3):
        response = await http.post("/api/v1/auth/login", json={"name": "ана", "password": "x"})
        assert_problem(response, 401, "invalid-credentials")
    for password in ("y", PASSWORD, "z"):  # even the right password waits out the window
        attempt = {"name": "ана", "password": password}
        throttled = await http.post("/api/v1/auth/login", json=attempt)
        assert_problem(throttled, 429, "login-throttled")
        assert 0 < int(throttled.headers["retry-after"]) <= 900
    # the limit is per account (and per address, with its own, higher limit)
    assert (await login(http, "admin"))["access_token"]
    log = await actions(server)
    assert log.count("auth.login_failed") == 3
    assert log.count("auth.login_throttled") == 1  # once per account, address and window


async def test_an_oversized_password_fails_without_hashing(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    attempt = {"name": "ана", "password": "x" * 1025}
    response = await http.post("/api/v1/auth/login", json=attempt)
    assert_problem(response, 401, "invalid-credentials")
    assert (await actions(server))[-1] == "auth.login_failed"


async def test_the_audit_log_is_for_admins_and_pages(http: httpx.AsyncClient) -> None:
    user = bearer((await login(http))["access_token"])
    assert_problem(await http.get("/api/v1/audit", headers=user), 403, "forbidden")
    assert_problem(await http.get("/api/v1/audit"), 401, "unauthorized")
    admin = bearer((await login(http, "admin"))["access_token"])
    seen: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        page = (await http.get("/api/v1/audit", params=params, headers=admin)).json()
        seen.extend(page["events"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert [e["action"] for e in seen] == [
        "auth.login",
        "auth.login",
        "user.created",
        "user.created",
    ]
    assert seen[0]["address"] == "127.0.0.1"
    for bad in ({"limit": 0}, {"limit": "x"}, {"cursor": "%%%"}, {"cursor": "YWJj"}):
        response = await http.get("/api/v1/audit", params=bad, headers=admin)
        assert_problem(response, 422, "invalid-parameter")


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        (b"not json", 400, "invalid-body"),
        (b"[1]", 400, "invalid-body"),
        (b'{"name": "ana"}', 422, "invalid-parameter"),
        (b'{"name": 1, "password": "x"}', 422, "invalid-parameter"),
    ],
)
async def test_malformed_login_bodies_are_problems(
    http: httpx.AsyncClient, body: bytes, status: int, slug: str
) -> None:
    response = await http.post("/api/v1/auth/login", content=body)
    assert_problem(response, status, slug)


async def test_accounts_refuse_bad_input(server: RunningServer) -> None:
    from server.accounts import InvalidAccountInput

    accounts: Accounts = _services(server).accounts
    for name, password, locale in (
        ("ана", PASSWORD, "bg"),  # taken
        ("has space", PASSWORD, "bg"),
        ("", PASSWORD, "bg"),
        ("x" * 65, PASSWORD, "bg"),
        ("new", "short", "bg"),
        ("new", "x" * 1025, "bg"),
        ("new", PASSWORD, "de"),
    ):
        with pytest.raises(InvalidAccountInput):
            await accounts.create_user(name, password, locale=locale)
