"""The OpenAPI document is valid, generated from the declarations, and holds for real traffic.

Besides these tests, every REST exchange of the whole suite is checked against the document
(tests/support/contract.py); the tour below makes sure that every operation is exercised,
and answers successfully, at least once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from pycrdt import Text
from starlette.applications import Starlette

from client import DocumentClient, LiveClient
from server.http.openapi import build
from storage.models import utc_now
from tests.support.contract import CONTRACT, Exchange
from tests.support.rooms import People, make_people, services_of
from tests.support.server import RunningServer

Step = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[None]]


def _routes(server: RunningServer) -> Any:
    app: Starlette = server.app  # type: ignore[assignment]
    return app.routes


async def test_the_document_is_valid_openapi_generated_from_the_routes(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.http) as http:
        served = (await http.get("/api/v1/openapi.json")).json()
    validate(served)  # raises on any violation of OpenAPI 3.1
    assert served == build(_routes(server))
    room = served["paths"]["/api/v1/rooms"]["post"]
    schema = served["components"]["schemas"][
        room["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]
    # the constraints the code enforces are the ones the document states
    assert schema["properties"]["slug"]["pattern"]
    assert {"maxLength": 200, "minLength": 1}.items() <= schema["properties"]["title"]["anyOf"][
        0
    ].items()
    assert set(room["responses"]) >= {"201", "400", "401", "409", "413", "422"}


async def test_an_answer_outside_the_document_is_caught(server: RunningServer) -> None:
    """The check can fail: a wrong body, an undeclared status and a wrong type are seen."""
    routes = _routes(server)
    me = Exchange("GET", "/api/v1/me", "", {"authorization": "Bearer x"}, b"")
    good = b'{"id":1,"name":"a","display_name":"A","locale":"bg","is_admin":false,'
    good += b'"created_at":"2026-12-05T00:00:00+00:00"}'
    ok = Exchange(**{**me.__dict__, "status": 200, "response_body": good})
    ok.response_headers = {"content-type": "application/json"}
    assert CONTRACT.validate(routes, ok) is None
    wrong_type = Exchange(**{**ok.__dict__, "response_body": good.replace(b'"id":1', b'"id":"1"')})
    undeclared = Exchange(**{**ok.__dict__, "status": 418})
    missing = Exchange(**{**ok.__dict__, "response_body": b'{"id":1}'})
    for bad in (wrong_type, undeclared, missing):
        assert CONTRACT.validate(routes, bad) is not None


def _tour() -> list[tuple[str, str, Step]]:
    """(method, path template, step): each step makes that request and expects success."""

    async def login(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        answer = await http.post("/auth/login", json={"name": "admin", "password": s["pw"]})
        s["session"] = answer.json()
        s["session_auth"] = {"Authorization": f"Bearer {s['session']['access_token']}"}

    async def refresh(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        answer = await http.post(
            "/auth/refresh", json={"refresh_token": s["session"]["refresh_token"]}
        )
        s["session_auth"] = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    async def issue(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        s["token_id"] = (
            await http.post("/tokens", json={"label": "tour"}, headers=s["owner"])
        ).json()["id"]

    async def invite(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        for key in ("invitation", "spare"):
            answer = await http.post(
                "/rooms/tour/invitations", json={"role": "observer"}, headers=s["owner"]
            )
            s[key] = answer.json()

    def call(method: str, path: str, who: str = "owner", **kwargs: Any) -> Step:
        async def step(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
            await http.request(method, path.format(**s), headers=s[who], **kwargs)

        return step

    return [
        ("POST", "/auth/login", login),
        ("POST", "/auth/refresh", refresh),
        ("GET", "/me", call("GET", "/me")),
        ("POST", "/tokens", issue),
        ("GET", "/tokens", call("GET", "/tokens")),
        ("DELETE", "/tokens/{token_id}", call("DELETE", "/tokens/{token_id}")),
        ("GET", "/audit", call("GET", "/audit?limit=5", "session_auth")),
        ("GET", "/rooms", call("GET", "/rooms")),
        ("POST", "/rooms", call("POST", "/rooms", json={"slug": "tour", "title": "Обиколка"})),
        ("GET", "/rooms/{slug}", call("GET", "/rooms/tour")),
        ("PATCH", "/rooms/{slug}", call("PATCH", "/rooms/tour", json={"description": "х"})),
        ("GET", "/rooms/{slug}/members", call("GET", "/rooms/tour/members")),
        (
            "PUT",
            "/rooms/{slug}/members/{user}",
            call("PUT", "/rooms/tour/members/participant", json={"role": "participant"}),
        ),
        (
            "DELETE",
            "/rooms/{slug}/members/{user}",
            call("DELETE", "/rooms/tour/members/participant"),
        ),
        ("POST", "/rooms/{slug}/invitations", invite),
        ("GET", "/rooms/{slug}/invitations", call("GET", "/rooms/tour/invitations")),
        (
            "DELETE",
            "/rooms/{slug}/invitations/{invitation_id}",
            call("DELETE", "/rooms/tour/invitations/{spare[id]}"),
        ),
        (
            "POST",
            "/invitations/{token}/accept",
            call("POST", "/invitations/{invitation[token]}/accept", "outsider"),
        ),
        (
            "POST",
            "/rooms/{slug}/documents",
            call("POST", "/rooms/tour/documents", json={"name": "tour-doc"}),
        ),
        ("GET", "/rooms/{slug}/audit", call("GET", "/rooms/tour/audit?limit=3")),
        *_document_steps(call),
        *_decision_steps(call),
        *_directory_steps(call),
        *_consultation_steps(call),
        *_notice_steps(call),
        ("POST", "/rooms/{slug}/archive", call("POST", "/rooms/tour/archive")),
        ("POST", "/auth/logout", call("POST", "/auth/logout", "session_auth")),
    ]


def _document_steps(call: Callable[..., Step]) -> list[tuple[str, str, Step]]:
    async def write(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        server: RunningServer = s["server"]
        async with DocumentClient(server.yjs, "tour-doc", token=s["owner_token"]) as client:
            client.doc.get("content", type=Text).insert(0, "Проект за решение")
            await client.wait_saved()
        await http.get("/documents/tour-doc", headers=s["owner"])

    async def post(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        server: RunningServer = s["server"]
        async with LiveClient(server.live, "tour", token=s["owner_token"]) as live:
            s["message_id"] = (await live.send("post", body="Дневен ред"))["message_id"]
        await http.get("/rooms/tour/messages?limit=10", headers=s["owner"])

    fork = {"name": "tour-fork"}
    comment = {"start": 0, "end": 6, "body": "Добре"}
    return [
        ("GET", "/documents/{document}", write),
        ("GET", "/documents/{document}/history", call("GET", "/documents/tour-doc/history")),
        (
            "POST",
            "/documents/{document}/forks",
            call("POST", "/documents/tour-doc/forks", json=fork),
        ),
        ("GET", "/documents/{document}/forks", call("GET", "/documents/tour-doc/forks")),
        ("GET", "/documents/{document}/diff", call("GET", "/documents/tour-fork/diff")),
        ("POST", "/documents/{document}/merge", call("POST", "/documents/tour-fork/merge")),
        (
            "POST",
            "/documents/{document}/comments",
            call("POST", "/documents/tour-doc/comments", json=comment),
        ),
        ("GET", "/documents/{document}/comments", call("GET", "/documents/tour-doc/comments")),
        ("GET", "/rooms/{slug}/messages", post),
        ("GET", "/rooms/{slug}/messages/search", call("GET", "/rooms/tour/messages/search?q=ред")),
        (
            "GET",
            "/rooms/{slug}/messages/{message_id}/revisions",
            call("GET", "/rooms/tour/messages/{message_id}/revisions"),
        ),
    ]


def _decision_steps(call: Callable[..., Step]) -> list[tuple[str, str, Step]]:
    async def propose(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        answer = await http.post(
            "/rooms/tour/proposals", json={"title": "Бюджет"}, headers=s["owner"]
        )
        s["proposal"] = answer.json()

    async def vote(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        path = f"/rooms/tour/proposals/{s['proposal']['id']}/vote"
        s["vote"] = (await http.post(path, json={}, headers=s["owner"])).json()

    async def poll(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        body = {"title": "Анкета", "method": "approval", "options": ["а", "б"], "secret": True}
        s["poll"] = (await http.post("/rooms/tour/polls", json=body, headers=s["owner"])).json()

    async def cast(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        path = f"/rooms/tour/polls/{s['poll']['id']}/ballots"
        answer = await http.post(path, json={"choice": ["а"]}, headers=s["owner"])
        s["receipt"] = answer.json()["receipt"]

    proposal, poll_path = "/rooms/tour/proposals/{proposal[id]}", "/rooms/tour/polls/{poll[id]}"
    return [
        ("POST", "/rooms/{slug}/proposals", propose),
        ("GET", "/rooms/{slug}/proposals", call("GET", "/rooms/tour/proposals")),
        (
            "GET",
            "/rooms/{slug}/proposals/{proposal_id}",
            call("GET", proposal),
        ),
        (
            "POST",
            "/rooms/{slug}/proposals/{proposal_id}/amendments",
            call("POST", proposal + "/amendments", json={"title": "Поправка"}),
        ),
        (
            "POST",
            "/rooms/{slug}/proposals/{proposal_id}/state",
            call("POST", proposal + "/state", json={"state": "discussion"}),
        ),
        ("POST", "/rooms/{slug}/proposals/{proposal_id}/vote", vote),
        ("POST", "/rooms/{slug}/polls", poll),
        ("GET", "/rooms/{slug}/polls", call("GET", "/rooms/tour/polls")),
        ("GET", "/rooms/{slug}/polls/{poll_id}", call("GET", poll_path)),
        ("POST", "/rooms/{slug}/polls/{poll_id}/ballots", cast),
        (
            "GET",
            "/rooms/{slug}/polls/{poll_id}/receipts/{receipt}",
            call("GET", poll_path + "/receipts/{receipt}"),
        ),
        ("POST", "/rooms/{slug}/polls/{poll_id}/close", call("POST", poll_path + "/close")),
        ("GET", "/rooms/{slug}/decisions", call("GET", "/rooms/tour/decisions")),
        ("GET", "/rooms/{slug}/decisions/{position}", call("GET", "/rooms/tour/decisions/1")),
        ("GET", "/rooms/{slug}/decisions/{position}", call("GET", "/rooms/tour/decisions/1.md")),
        ("GET", "/rooms/{slug}/decision-chain", call("GET", "/rooms/tour/decision-chain")),
    ]


def _notice_steps(call: Callable[..., Step]) -> list[tuple[str, str, Step]]:
    async def follow(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        body = {"kind": "sector", "target": "youth"}
        s["subscription"] = (
            await http.post("/me/subscriptions", json=body, headers=s["owner"])
        ).json()["id"]

    async def hook(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        # https only (no delivery is attempted: it wants decisions of public rooms, and the
        # tour's room is private)
        body = {"url": "https://hooks.invalid/veche", "event_types": ["decision.recorded"]}
        s["endpoint"] = (await http.post("/me/webhooks", json=body, headers=s["owner"])).json()[
            "id"
        ]

    async def plan(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        start = utc_now() + timedelta(days=1)
        body = {
            "title": "Заседание",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        }
        answer = await http.post("/rooms/tour/sessions", json=body, headers=s["owner"])
        s["planned"] = answer.json()["id"]

    endpoint = "/me/webhooks/{endpoint}"
    return [
        ("POST", "/rooms/{slug}/sessions", plan),
        ("GET", "/rooms/{slug}/sessions", call("GET", "/rooms/tour/sessions")),
        (
            "DELETE",
            "/rooms/{slug}/sessions/{session_id}",
            call("DELETE", "/rooms/tour/sessions/{planned}"),
        ),
        ("PUT", "/me/notices/email", call("PUT", "/me/notices/email", json={"email": "o@x.bg"})),
        ("POST", "/me/subscriptions", follow),
        ("GET", "/me/notices", call("GET", "/me/notices")),
        (
            "DELETE",
            "/me/subscriptions/{subscription_id}",
            call("DELETE", "/me/subscriptions/{subscription}"),
        ),
        ("POST", "/me/webhooks", hook),
        ("GET", "/me/webhooks", call("GET", "/me/webhooks")),
        (
            "POST",
            "/me/webhooks/{endpoint_id}/rotation",
            call("POST", endpoint + "/rotation", json={"overlap_seconds": 0}),
        ),
        (
            "GET",
            "/me/webhooks/{endpoint_id}/deliveries",
            call("GET", endpoint + "/deliveries"),
        ),
        ("DELETE", "/me/webhooks/{endpoint_id}", call("DELETE", endpoint)),
    ]


def _consultation_steps(call: Callable[..., Step]) -> list[tuple[str, str, Step]]:
    async def open_(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        body = {"title": "Наредба"}
        proposal = (await http.post("/rooms/tour/proposals", json=body, headers=s["owner"])).json()
        server: RunningServer = s["server"]
        async with DocumentClient(server.yjs, proposal["document"], token=s["owner_token"]) as c:
            c.doc.get("content", type=Text).insert(0, "Член 1. Такса.")
            await c.wait_saved()
        path = f"/rooms/tour/proposals/{proposal['id']}/consultation"
        s["consultation"] = (await http.post(path, json={}, headers=s["owner"])).json()["id"]
        s["consultation_proposal"] = proposal["id"]

    async def comment(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        body = {"start": 0, "end": 7, "body": "Ясно."}
        path = f"/consultations/{s['consultation']}/comments"
        s["comment"] = (await http.post(path, json=body, headers=s["outsider"])).json()["id"]

    async def close(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        consultations = services_of(s["server"]).consultations
        consultations.clock = lambda: utc_now() + timedelta(days=31)
        await consultations.close_due()
        answer = {"response": "partly_accepted", "reason": "Отчасти."}
        path = f"/consultations/{s['consultation']}/comments/{s['comment']}/response"
        await http.put(path, json=answer, headers=s["owner"])

    here = "/consultations/{consultation}"
    return [
        ("POST", "/rooms/{slug}/proposals/{proposal_id}/consultation", open_),
        (
            "GET",
            "/rooms/{slug}/proposals/{proposal_id}/consultation",
            call("GET", "/rooms/tour/proposals/{consultation_proposal}/consultation"),
        ),
        ("GET", "/consultations", call("GET", "/consultations")),
        ("GET", "/consultations/{consultation_id}", call("GET", here)),
        ("POST", "/consultations/{consultation_id}/comments", comment),
        ("GET", "/consultations/{consultation_id}/comments", call("GET", here + "/comments")),
        ("PUT", "/consultations/{consultation_id}/comments/{comment_id}/response", close),
        ("POST", "/consultations/{consultation_id}/report", call("POST", here + "/report")),
        ("GET", "/consultations/{consultation_id}/report", call("GET", here + "/report")),
        (
            "GET",
            "/consultations/{consultation_id}/report",
            call("GET", here + "/report?format=md"),
        ),
        (
            "GET",
            "/consultations/{consultation_id}/report",
            call("GET", here + "/report?format=html"),
        ),
        (
            "GET",
            "/consultations/{consultation_id}/report",
            call("GET", here + "/report?format=csv"),
        ),
    ]


def _directory_steps(call: Callable[..., Step]) -> list[tuple[str, str, Step]]:
    async def add(http: httpx.AsyncClient, s: dict[str, Any]) -> None:
        body = {"name": "Сдружение Обиколка", "kind": "ngo", "municipality": "SML31"}
        answer = await http.post("/directory/organisations", json=body, headers=s["owner"])
        s["organisation"] = answer.json()["slug"]
        s["outsider_id"] = (await http.get("/me", headers=s["outsider"])).json()["id"]

    csv_file = "name,kind\nЧиталище Обиколка,ngo\n"
    organisation = "/directory/organisations/{organisation}"
    return [
        ("POST", "/directory/organisations", add),
        ("GET", "/directory/organisations", call("GET", "/directory/organisations?q=обик")),
        ("GET", "/directory/organisations/{organisation}", call("GET", organisation)),
        (
            "PATCH",
            "/directory/organisations/{organisation}",
            call("PATCH", organisation, json={"sectors": ["youth"]}),
        ),
        (
            "PUT",
            "/directory/organisations/{organisation}/verification",
            call("PUT", organisation + "/verification", "session_auth", json={"verified": True}),
        ),
        (
            "POST",
            "/directory/organisations/{organisation}/representatives",
            call("POST", organisation + "/representatives", "outsider"),
        ),
        (
            "GET",
            "/directory/organisations/{organisation}/representatives",
            call("GET", organisation + "/representatives"),
        ),
        (
            "PUT",
            "/directory/organisations/{organisation}/representatives/{user_id}",
            call("PUT", organisation + "/representatives/{outsider_id}"),
        ),
        (
            "DELETE",
            "/directory/organisations/{organisation}/representatives/{user_id}",
            call("DELETE", organisation + "/representatives/{outsider_id}", "outsider"),
        ),
        ("GET", "/directory/mine", call("GET", "/directory/mine")),
        ("GET", "/directory/export", call("GET", "/directory/export?oblast=SML")),
        (
            "POST",
            "/directory/imports",
            call("POST", "/directory/imports", "session_auth", json={"csv": csv_file}),
        ),
        ("GET", "/directory/terms", call("GET", "/directory/terms")),
        ("GET", "/directory/regions", call("GET", "/directory/regions")),
    ]


@pytest.fixture
async def people(server: RunningServer) -> People:
    return await make_people(services_of(server))


async def test_every_operation_answers_successfully_within_the_document(
    server: RunningServer, people: People
) -> None:
    services = services_of(server)
    await services.accounts.create_user("admin", "a-long-password", is_admin=True)
    routes = _routes(server)
    exchanges: list[Exchange] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        request = response.request
        exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                request.url.query.decode(),
                {k.lower(): v for k, v in request.headers.items()},
                request.content,
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                response.content,
            )
        )

    state: dict[str, Any] = {
        "pw": "a-long-password",
        "server": server,
        "owner_token": people.tokens["owner"],
        **{name: {"Authorization": f"Bearer {people.tokens[name]}"} for name in people.tokens},
    }
    toured: set[tuple[str, str]] = set()
    async with httpx.AsyncClient(
        base_url=server.http + "/api/v1", event_hooks={"response": [keep]}
    ) as http:
        for method, path, step in _tour():
            before = len(exchanges)
            await step(http, state)
            answered = exchanges[before:]
            assert answered, f"{method} {path} made no request"
            for exchange in answered:
                assert exchange.status < 300, (method, path, exchange.response_body)
                assert CONTRACT.validate(routes, exchange) is None
            toured.add((method.lower(), "/api/v1" + path))
    spec = build(routes)
    operations = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert operations - toured == set()  # every operation of the document answered
