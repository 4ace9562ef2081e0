"""Health, readiness, metrics and the history API."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from client import DocumentClient
from server.settings import Settings
from tests.support.server import RunningServer, free_port, serve_in_process
from tests.support.services import redis_url, unavailable
from tests.support.waiting import eventually


async def type_versions(server: RunningServer, name: str, chunks: list[str]) -> None:
    from pycrdt import Text

    async with DocumentClient(server.yjs, name) as client:
        text = client.doc.get("content", type=Text)
        for chunk in chunks:
            text += chunk
            await client.wait_saved()


async def test_healthz_readyz_metrics(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.http) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok"}
        await type_versions(server, "metered", ["a", "b"])
        metrics = (await http.get("/metrics")).text
    assert "veche_connections 0.0" in metrics
    assert "veche_updates_received_total 2.0" in metrics
    assert "veche_commit_seconds_count" in metrics


async def test_readyz_reports_redis(settings: Settings) -> None:
    import redis.asyncio

    probe = redis.asyncio.Redis.from_url(redis_url())
    try:
        await probe.ping()
    except (OSError, redis.RedisError):
        unavailable(f"Redis is not reachable at {redis_url()}")
    finally:
        await probe.aclose()
    async with serve_in_process(settings.with_overrides(redis_url=redis_url())) as server:
        async with httpx.AsyncClient(base_url=server.http) as http:
            ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with serve_in_process(settings.with_overrides(redis_url=dead)) as server:
        async with httpx.AsyncClient(base_url=server.http) as http:
            ready = await http.get("/readyz")
        # the node serves its own clients without Redis: degraded, still in the balancer
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["redis"].startswith("unavailable")


async def test_content_at_each_version_and_history(server: RunningServer) -> None:
    await type_versions(server, "протокол", ["Проект", " за", " решение"])
    async with httpx.AsyncClient(base_url=server.http) as http:
        texts = [
            (await http.get("/api/v1/documents/протокол", params={"at": at})).json()
            for at in (0, 1, 2, 3)
        ]
        latest = (await http.get("/api/v1/documents/протокол")).json()
        history = (await http.get("/api/v1/documents/протокол/history")).json()
    assert [t["content"].get("content", "") for t in texts] == [
        "",
        "Проект",
        "Проект за",
        "Проект за решение",
    ]
    assert latest["content"] == {"content": "Проект за решение"}
    assert latest["seq"] == latest["latest_seq"] == 3
    [version] = history["versions"]
    assert (version["first_seq"], version["last_seq"], version["updates"]) == (1, 3, 3)
    assert history["next_cursor"] is None


async def test_history_pages_with_a_cursor(server: RunningServer) -> None:
    await type_versions(server, "pages", ["a", "b", "c"])
    async with httpx.AsyncClient(base_url=server.http) as http:
        # pause=0 splits every update into its own version
        params: dict[str, str | int] = {"pause": 0, "limit": 2, "order": "asc"}
        first = (await http.get("/api/v1/documents/pages/history", params=params)).json()
        params["cursor"] = first["next_cursor"]
        second = (await http.get("/api/v1/documents/pages/history", params=params)).json()
    assert [v["first_seq"] for v in first["versions"]] == [1, 2]
    assert [v["first_seq"] for v in second["versions"]] == [3]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("path", "status", "slug"),
    [
        ("/api/v1/documents/nothing-here", 404, "document-not-found"),
        ("/api/v1/documents/nothing-here/history", 404, "document-not-found"),
        ("/api/v1/documents/errors?at=abc", 422, "invalid-parameter"),
        ("/api/v1/documents/errors?at=-1", 422, "invalid-parameter"),
        ("/api/v1/documents/errors?at=99", 422, "invalid-parameter"),
        ("/api/v1/documents/errors/history?cursor=%%%", 422, "invalid-parameter"),
        ("/api/v1/documents/errors/history?limit=0", 422, "invalid-parameter"),
        ("/api/v1/documents/errors/history?order=sideways", 422, "invalid-parameter"),
        ("/api/v1/no-such-route", 404, "not-found"),
    ],
)
async def test_errors_are_problem_details(
    server: RunningServer, path: str, status: int, slug: str
) -> None:
    await type_versions(server, "errors", ["x"])
    async with httpx.AsyncClient(base_url=server.http) as http:
        response = await http.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:veche:problem:{slug}"
    assert body["status"] == status
    assert body["detail"]


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _paths(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, BaseRoute]]:
    """Every route with its full path, through mounts."""
    found: list[tuple[str, BaseRoute]] = []
    for route in routes:
        if isinstance(route, Mount):
            found.extend(_paths(route.routes, prefix + route.path))
        elif isinstance(route, Route):
            found.append((prefix + route.path, route))
    return found


async def test_openapi_document_lists_the_routes(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.http) as http:
        spec = (await http.get("/api/v1/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/api/v1/documents/{document}",
        "/api/v1/documents/{document}/history",
        "/api/v1/documents/{document}/forks",
        "/api/v1/documents/{document}/diff",
        "/api/v1/documents/{document}/merge",
        "/api/v1/documents/{document}/comments",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/audit",
        "/api/v1/rooms",
        "/api/v1/rooms/{slug}",
        "/api/v1/rooms/{slug}/archive",
        "/api/v1/rooms/{slug}/members",
        "/api/v1/rooms/{slug}/members/{user}",
        "/api/v1/rooms/{slug}/invitations",
        "/api/v1/rooms/{slug}/invitations/{invitation_id}",
        "/api/v1/rooms/{slug}/documents",
        "/api/v1/rooms/{slug}/audit",
        "/api/v1/rooms/{slug}/messages",
        "/api/v1/rooms/{slug}/messages/search",
        "/api/v1/rooms/{slug}/messages/{message_id}/revisions",
        "/api/v1/invitations/{token}/accept",
        "/api/v1/rooms/{slug}/proposals",
        "/api/v1/rooms/{slug}/proposals/{proposal_id}",
        "/api/v1/rooms/{slug}/proposals/{proposal_id}/state",
        "/api/v1/rooms/{slug}/proposals/{proposal_id}/vote",
        "/api/v1/rooms/{slug}/proposals/{proposal_id}/amendments",
        "/api/v1/rooms/{slug}/polls",
        "/api/v1/rooms/{slug}/polls/{poll_id}",
        "/api/v1/rooms/{slug}/polls/{poll_id}/ballots",
        "/api/v1/rooms/{slug}/polls/{poll_id}/close",
        "/api/v1/rooms/{slug}/polls/{poll_id}/receipts/{receipt}",
        "/api/v1/rooms/{slug}/decisions",
        "/api/v1/rooms/{slug}/decisions/{position}",
        "/api/v1/rooms/{slug}/decision-chain",
        "/api/v1/directory/organisations",
        "/api/v1/directory/organisations/{organisation}",
        "/api/v1/directory/organisations/{organisation}/verification",
        "/api/v1/directory/organisations/{organisation}/representatives",
        "/api/v1/directory/organisations/{organisation}/representatives/{user_id}",
        "/api/v1/directory/export",
        "/api/v1/directory/imports",
        "/api/v1/directory/mine",
        "/api/v1/directory/terms",
        "/api/v1/directory/regions",
        "/api/v1/rooms/{slug}/proposals/{proposal_id}/consultation",
        "/api/v1/consultations",
        "/api/v1/consultations/{consultation_id}",
        "/api/v1/consultations/{consultation_id}/comments",
        "/api/v1/consultations/{consultation_id}/comments/{comment_id}/response",
        "/api/v1/consultations/{consultation_id}/report",
        "/api/v1/me/notices",
        "/api/v1/me/notices/email",
        "/api/v1/me/subscriptions",
        "/api/v1/me/subscriptions/{subscription_id}",
        "/api/v1/me/webhooks",
        "/api/v1/me/webhooks/{endpoint_id}",
        "/api/v1/me/webhooks/{endpoint_id}/rotation",
        "/api/v1/me/webhooks/{endpoint_id}/deliveries",
        "/api/v1/rooms/{slug}/sessions",
        "/api/v1/rooms/{slug}/sessions/{session_id}",
    }
    # and every REST route of the application is in it (nothing added without its entry)
    app: Starlette = server.app  # type: ignore[assignment]
    served = {path for path, _ in _paths(app.routes) if path.startswith("/api/v1/")}
    assert served - {"/api/v1/openapi.json"} == set(spec["paths"])
    refs = {
        ref.rsplit("/", 1)[1]
        for ref in _refs(spec["paths"])
        if ref.startswith("#/components/schemas/")
    }
    assert refs <= set(spec["components"]["schemas"])


async def test_document_unloads_with_a_checkpoint_after_the_grace_period(
    server: RunningServer,
) -> None:
    await type_versions(server, "unloading", ["раз", "два"])
    documents = server.app.state.services.documents  # type: ignore[attr-defined]

    async def unloaded() -> bool:
        return "unloading" not in documents

    await eventually(unloaded)
    log = server.app.state.services.log  # type: ignore[attr-defined]
    stored = await log.find_document("unloading")
    assert await log.list_checkpoints(stored.id) == [2]
    assert await log.update_count(stored.id) == 2  # history kept


async def test_a_checkpoint_is_written_each_time_the_tail_passes_the_threshold(
    settings: Settings,
) -> None:
    async with serve_in_process(settings.with_overrides(checkpoint_every=3)) as server:
        await type_versions(server, "threshold", list("абвгдеж"))  # 7 updates
        log = server.app.state.services.log  # type: ignore[attr-defined]
        stored = await log.find_document("threshold")
        assert (await log.list_checkpoints(stored.id))[:2] == [3, 6]
        assert await log.update_count(stored.id) == 7
        state = await log.load("threshold")
        assert (state.checkpoint_seq, len(state.updates)) in ((6, 1), (7, 0))
