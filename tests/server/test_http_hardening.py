"""Hostile REST requests (issue 10): oversize bodies, concurrent login guesses, integers past
their columns, malformed JSON, and the headers of every answer — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.accounts.ratelimit import SlidingWindow
from server.settings import Settings
from tests.support.rooms import People, make_people, make_room, services_of
from tests.support.server import TEST_SECRET_KEY, RunningServer, serve_in_process

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=database_url, secret_key=TEST_SECRET_KEY, login_failures_per_address=1000
    )
    async with serve_in_process(settings) as running:
        await services_of(running).accounts.create_user("ана", PASSWORD)
        yield running


@pytest.fixture
async def people(server: RunningServer) -> People:
    people = await make_people(services_of(server))
    await make_room(services_of(server), people, "room", visibility="public", documents=("doc",))
    return people


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=server.http, limits=limits, timeout=60) as client:
        yield client


def owner(people: People) -> dict[str, str]:
    return {"Authorization": f"Bearer {people.tokens['owner']}"}


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:veche:problem:{slug}"
    return body


async def raw_exchange(server: RunningServer, request: bytes) -> tuple[bytes, dict[str, str], Any]:
    """Send ``request`` as it is and read the answer until the server closes; the body of the
    request is never completed, so an answer at all means the server did not wait for it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(30):
            answer = await reader.read()  # to EOF: the 413 closes the connection
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status.encode(), headers, json.loads(body)


async def test_an_oversize_declared_body_is_refused_before_it_is_sent(
    server: RunningServer,
) -> None:
    head = (
        f"POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
    ).encode()
    status, headers, body = await raw_exchange(server, head + b'{"name": "' + b"x" * 100)
    assert status.startswith(b"HTTP/1.1 413")
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"
    assert (body["type"], body["limit"]) == ("urn:veche:problem:body-too-large", 16 * 1024)


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(server: RunningServer) -> None:
    head = (
        f"POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"x" * 1024
    # 20 KiB in one write, no last chunk: all of it is read before the answer, so the server
    # closes with nothing unread (a reset could otherwise swallow the answer)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20))
    status, _, body = await raw_exchange(server, head + chunks)
    assert status.startswith(b"HTTP/1.1 413")
    assert body["type"] == "urn:veche:problem:body-too-large"


async def test_the_limits_are_per_route_and_answer_problems(
    http: httpx.AsyncClient, people: People
) -> None:
    padded = {"name": "ана", "password": "x", "padding": "x" * 20_000}
    assert_problem(await http.post(LOGIN, json=padded), 413, "body-too-large")
    room = {"slug": "big", "title": "x" * 20_000}  # 20 KB is read outside /auth/ ...
    read = await http.post("/api/v1/rooms", json=room, headers=owner(people))
    assert_problem(read, 422, "invalid-parameter")  # (too long a title)
    huge = {"slug": "big", "title": "x" * (1024 * 1024)}  # ... 1 MiB is not
    refused = await http.post("/api/v1/rooms", json=huge, headers=owner(people))
    assert assert_problem(refused, 413, "body-too-large")["limit"] == 1024 * 1024
    assert (await http.post(LOGIN, json={"name": "ана", "password": PASSWORD})).status_code == 200


def test_the_login_limiter_holds_neither_huge_names_nor_unbounded_keys() -> None:
    now = [0.0]
    window = SlidingWindow(10, 900, lambda: now[0], max_keys=100)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(1000):  # 1,000 distinct 64 KiB names: 64 MiB if they were kept
            window.hit(f"{n}:" + "я" * 32 * 1024)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert window.keys_held() == 100
    assert held < 1024 * 1024
    assert window.retry_after("999:" + "я" * 32 * 1024) is None  # 1 failure of 10: not limited
    # expired windows go before live ones; among live ones, the key hit longest ago
    for _ in range(10):
        window.hit("victim")
    now[0] = 1000.0  # every other key's window has passed
    for n in range(150):
        window.hit(f"new-{n}")
    assert window.keys_held() == 100
    assert window.retry_after("victim") is None  # expired too by now: evicted first


async def test_concurrent_wrong_passwords_are_checked_at_most_the_limit(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    attempt = {"name": "ана", "password": "wrong password"}
    answers = await asyncio.gather(*(http.post(LOGIN, json=attempt) for _ in range(60)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 10 + [429] * 50  # limit 10 per account
    events = await services_of(server).audit.page(limit=200)
    assert [e.action for e in events].count("auth.login_failed") == 10
    right = await http.post(LOGIN, json={"name": "ана", "password": PASSWORD})
    assert_problem(right, 429, "login-throttled")  # the window holds for the right one too


@pytest.mark.parametrize(
    "value", [str(2**63), str(2**31), str(10**30), "9" * 5000, "²", "1_0", "-1", " 1", ""]
)
async def test_integer_parameters_out_of_range_are_422(
    http: httpx.AsyncClient, people: People, value: str
) -> None:
    for path in ("/api/v1/rooms/room/messages", "/api/v1/rooms/room/messages/search?q=x"):
        url = f"{path}{'&' if '?' in path else '?'}before={value}"
        assert_problem(await http.get(url, headers=owner(people)), 422, "invalid-parameter")
    if value != str(2**31):  # versions are 64-bit: 2**31 is a version the document lacks
        at = await http.get(f"/api/v1/documents/doc?at={value}", headers=owner(people))
        body = assert_problem(at, 422, "invalid-parameter")
        assert len(body["detail"]) < 200  # a 5,000-digit value is not echoed whole
    for path in ("/api/v1/rooms/room/audit", "/api/v1/audit"):
        limit = await http.get(f"{path}?limit={value}", headers=owner(people))
        assert limit.status_code in (403, 422), limit.text  # /api/v1/audit: admins only
    if value.strip():
        poll = await http.get(f"/api/v1/rooms/room/polls/{value}", headers=owner(people))
        assert_problem(poll, 404, "poll-not-found")
        record = await http.get(f"/api/v1/rooms/room/decisions/{value}.md", headers=owner(people))
        assert_problem(record, 404, "decision-not-found")
    revoke = await http.delete(f"/api/v1/tokens/{value or 'x'}", headers=owner(people))
    assert_problem(revoke, 404, "token-not-found")


async def test_a_history_cursor_past_64_bits_is_422(
    http: httpx.AsyncClient, people: People
) -> None:
    for digits in ("9" * 30, str(2**63)):
        cursor = base64.urlsafe_b64encode(f"v1:desc:{digits}".encode()).decode().rstrip("=")
        page = await http.get(
            f"/api/v1/documents/doc/history?cursor={cursor}", headers=owner(people)
        )
        assert assert_problem(page, 422, "invalid-parameter")["parameter"] == "cursor"
    fine = base64.urlsafe_b64encode(f"v1:desc:{2**63 - 1}".encode()).decode().rstrip("=")
    page = await http.get(f"/api/v1/documents/doc/history?cursor={fine}", headers=owner(people))
    assert page.status_code == 200, page.text


async def test_the_largest_valid_integers_are_accepted(
    http: httpx.AsyncClient, people: People
) -> None:
    page = await http.get(f"/api/v1/rooms/room/messages?before={2**31 - 1}", headers=owner(people))
    assert page.status_code == 200, page.text
    at = await http.get(f"/api/v1/documents/doc?at={2**63 - 1}", headers=owner(people))
    body = assert_problem(at, 422, "invalid-parameter")
    assert "last version" in body["detail"]  # in range; beyond this document's versions


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 200_000 + b"]" * 200_000,
        b'{"slug": ' + b"[" * 200_000,
        b'{"slug": "a", "title": ' + b"7" * 5000 + b"}",
        b'{"slug": "a", "title": ' + str(10**30).encode() + b"}",
        b'{"slug": "a", "title": 1e999}',
        b'{"slug": "a", "title": NaN}',
        b'{"slug": "a", "title": ' + b"[" * 40 + b"]" * 40 + b"}",
        b"\xff\xfe{",
        b"",
    ],
    ids=[
        "deep",
        "deep-unclosed",
        "5000-digits",
        "int128",
        "inf",
        "nan",
        "40-deep",
        "bytes",
        "empty",
    ],
)
async def test_malformed_bodies_are_400(
    http: httpx.AsyncClient, people: People, body: bytes
) -> None:
    response = await http.post("/api/v1/rooms", content=body, headers=owner(people))
    assert_problem(response, 400, "invalid-body")
    fine = {"slug": "fine", "title": "Fine"}
    ok = await http.post("/api/v1/rooms", json=fine, headers=owner(people))
    assert ok.status_code == 201, ok.text  # and the server is none the worse


async def test_every_kind_of_answer_says_nosniff(http: httpx.AsyncClient, people: People) -> None:
    answers = [
        await http.get("/healthz"),
        await http.get("/metrics"),
        await http.get("/api/v1/openapi.json"),
        await http.get("/nothing/here"),  # 404 from the router
        await http.delete("/api/v1/rooms"),  # 405
        await http.get("/api/v1/me"),  # 401 problem
        await http.get("/api/v1/rooms/room", headers=owner(people)),
        await http.post(LOGIN, content=b"x" * 20_000),  # 413
    ]
    assert [a.headers.get("x-content-type-options") for a in answers] == ["nosniff"] * len(answers)
