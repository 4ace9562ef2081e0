"""Problem details in the request's language (server/http/problems.py, docs/i18n.md): the
title (and a fixed detail of the edge) from the `problems` catalog by `Accept-Language`,
Bulgarian by default, with `Content-Language`; every other member as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request

from server.accounts import LoginThrottled
from server.http.errors import problem_of
from server.http.problems import handle_unexpected, problem_response
from server.settings import Settings
from tests.support.server import TEST_SECRET_KEY, serve_in_process


@pytest.fixture
async def http(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=sqlite_url, secret_key=TEST_SECRET_KEY)
    async with (
        serve_in_process(settings) as running,
        httpx.AsyncClient(base_url=running.http) as client,
    ):
        yield client


def _problem(response: httpx.Response, status: int, slug: str, locale: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["content-language"] == locale
    assert "accept-language" in response.headers["vary"].lower()
    body: dict[str, object] = response.json()
    assert (body["type"], body["status"]) == (f"urn:veche:problem:{slug}", status)
    return body


async def test_a_domain_problem_in_bulgarian_and_in_english(http: httpx.AsyncClient) -> None:
    bg = await http.get("/api/v1/rooms/nyama", headers={"Accept-Language": "bg-BG,bg;q=0.9"})
    en = await http.get("/api/v1/rooms/nyama", headers={"Accept-Language": "en-GB,en;q=0.9"})
    bg_body = _problem(bg, 404, "room-not-found", "bg")
    en_body = _problem(en, 404, "room-not-found", "en")
    assert (bg_body["title"], en_body["title"]) == ("Стаята не е намерена", "Room not found")
    # the detail names the room: the domain's sentence, not one of the catalog
    assert bg_body["detail"] == en_body["detail"] == "there is no room 'nyama'"
    assert {k: v for k, v in bg_body.items() if k != "title"} == {
        k: v for k, v in en_body.items() if k != "title"
    }


async def test_without_accept_language_the_answer_is_bulgarian(http: httpx.AsyncClient) -> None:
    body = _problem(await http.get("/api/v1/me"), 401, "unauthorized", "bg")
    assert body["title"] == "Необходимо е влизане"
    english = await http.get("/api/v1/me", headers={"Accept-Language": "fr, en;q=0.5"})
    assert _problem(english, 401, "unauthorized", "en")["title"] == "Unauthorized"
    assert english.headers["www-authenticate"] == 'Bearer realm="veche"'


async def test_the_edges_own_problems_are_translated(http: httpx.AsyncClient) -> None:
    bg, en = {"Accept-Language": "bg"}, {"Accept-Language": "en"}
    unknown = _problem(await http.get("/api/v1/nowhere", headers=bg), 404, "not-found", "bg")
    assert (unknown["title"], unknown["detail"]) == ("Не е намерено", "Не е намерено")
    unknown = _problem(await http.get("/api/v1/nowhere", headers=en), 404, "not-found", "en")
    assert (unknown["title"], unknown["detail"]) == ("Not Found", "Not Found")
    method = await http.delete("/api/v1/auth/login", headers=bg)
    assert _problem(method, 405, "method-not-allowed", "bg")["title"] == "Методът не е позволен"

    deep = b"[" * 100 + b"]" * 100
    nested = await http.post("/api/v1/auth/login", content=deep, headers=bg)
    body = _problem(nested, 400, "invalid-body", "bg")
    assert body["title"] == "Невалидно тяло на заявката"
    assert body["detail"] == "тялото на заявката може да има най-много 32 нива на влагане"
    nested = await http.post("/api/v1/auth/login", content=deep, headers=en)
    assert _problem(nested, 400, "invalid-body", "en")["detail"] == (
        "the body must nest at most 32 levels"
    )
    constant = await http.post("/api/v1/auth/login", content=b'{"name": NaN}', headers=bg)
    body = _problem(constant, 400, "invalid-body", "bg")
    assert body["detail"] == "тялото на заявката трябва да е JSON: NaN не е JSON"

    wrong = await http.post("/api/v1/auth/login", json={"name": 5, "password": "x"}, headers=bg)
    body = _problem(wrong, 422, "invalid-parameter", "bg")
    assert (body["title"], body["parameter"]) == ("Невалидна стойност", "name")


async def test_an_oversize_body_is_refused_in_the_requests_language(
    http: httpx.AsyncClient,
) -> None:
    huge = b"x" * (1024 * 1024 + 1)
    for locale, title in (
        ("bg", "Тялото на заявката е твърде голямо"),
        ("en", "Request body too large"),
    ):
        refused = await http.post(
            "/api/v1/rooms", content=huge, headers={"Accept-Language": locale}
        )
        body = _problem(refused, 413, "body-too-large", locale)
        assert body["title"] == title
        assert str(body["limit"]) in str(body["detail"])


def _request(accept_language: str | None) -> Request:
    headers = [] if accept_language is None else [(b"accept-language", accept_language.encode())]
    return Request({"type": "http", "method": "GET", "path": "/api/v1/x", "headers": headers})


async def test_an_unexpected_error_and_throttling_in_either_language() -> None:
    crash = await handle_unexpected(_request("en"), RuntimeError("boom"))
    assert crash.headers["content-language"] == "en"
    assert b'"title":"Internal Server Error"' in crash.body
    crash = await handle_unexpected(_request(None), RuntimeError("boom"))
    assert "Вътрешна грешка на сървъра" in bytes(crash.body).decode()
    assert "възникна неочаквана грешка" in bytes(crash.body).decode()

    throttled = problem_response(problem_of(LoginThrottled(12.2)), None, "bg")
    assert throttled.headers["retry-after"] == "13"
    text = bytes(throttled.body).decode()
    assert "Твърде много неуспешни опити за вход" in text
    assert "too many failed logins; try again in 13 s" in text  # the domain's detail
