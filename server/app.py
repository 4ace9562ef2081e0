"""The Starlette application: routes, middleware and error handlers (composition only);
the services it runs are built in server/services.py."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from server.http import amendments, auth, decisions, health, history, messages, problems, rooms
from server.http.limits import BodyLimit, SecurityHeaders
from server.http.openapi import openapi
from server.live.socket import live_socket
from server.services import Services
from server.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> Starlette:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Services]]:
        services = await Services.start(settings, migrate=migrate)
        app.state.services = services
        log.info(
            "veche ready: database %s, backend %s",
            _safe_url(settings.database_url),
            settings.crdt_backend,
        )
        try:
            # the lifespan state reaches uvicorn's WebSocket protocols (server/document_socket.py)
            yield {"services": services}
        finally:
            await services.stop()

    routes = [
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz),
        Route("/metrics", health.metrics),
        Route("/api/v1/openapi.json", openapi),
        Route("/api/v1/documents/{document}/history", history.document_history),
        Route("/api/v1/documents/{document}", history.document_content),
        Route("/api/v1/documents/{document}/forks", amendments.forks, methods=["GET", "POST"]),
        Route("/api/v1/documents/{document}/diff", amendments.diff),
        Route("/api/v1/documents/{document}/merge", amendments.merge, methods=["POST"]),
        Route(
            "/api/v1/documents/{document}/comments", amendments.comments, methods=["GET", "POST"]
        ),
        Route("/api/v1/auth/login", auth.login, methods=["POST"]),
        Route("/api/v1/auth/refresh", auth.refresh, methods=["POST"]),
        Route("/api/v1/auth/logout", auth.logout, methods=["POST"]),
        Route("/api/v1/me", auth.me),
        Route("/api/v1/tokens", auth.tokens, methods=["GET", "POST"]),
        Route("/api/v1/tokens/{token_id}", auth.revoke_token, methods=["DELETE"]),
        Route("/api/v1/audit", auth.audit),
        Route("/api/v1/rooms", rooms.rooms, methods=["GET", "POST"]),
        Route("/api/v1/rooms/{slug}", rooms.room, methods=["GET", "PATCH"]),
        Route("/api/v1/rooms/{slug}/archive", rooms.archive, methods=["POST"]),
        Route("/api/v1/rooms/{slug}/members", rooms.members),
        Route("/api/v1/rooms/{slug}/members/{user}", rooms.member, methods=["PUT", "DELETE"]),
        Route("/api/v1/rooms/{slug}/invitations", rooms.invitations, methods=["GET", "POST"]),
        Route(
            "/api/v1/rooms/{slug}/invitations/{invitation_id}",
            rooms.invitation,
            methods=["DELETE"],
        ),
        Route("/api/v1/rooms/{slug}/documents", rooms.documents, methods=["POST"]),
        Route("/api/v1/rooms/{slug}/audit", rooms.audit),
        Route("/api/v1/invitations/{token}/accept", rooms.accept, methods=["POST"]),
        Route("/api/v1/rooms/{slug}/messages", messages.messages),
        Route("/api/v1/rooms/{slug}/messages/search", messages.search),
        Route("/api/v1/rooms/{slug}/messages/{message_id}/revisions", messages.revisions),
        Route("/api/v1/rooms/{slug}/proposals", decisions.proposals, methods=["GET", "POST"]),
        Route("/api/v1/rooms/{slug}/proposals/{proposal_id}", decisions.proposal),
        Route(
            "/api/v1/rooms/{slug}/proposals/{proposal_id}/state",
            decisions.move,
            methods=["POST"],
        ),
        Route(
            "/api/v1/rooms/{slug}/proposals/{proposal_id}/amendments",
            decisions.amendments,
            methods=["POST"],
        ),
        Route(
            "/api/v1/rooms/{slug}/proposals/{proposal_id}/vote",
            decisions.open_vote,
            methods=["POST"],
        ),
        Route("/api/v1/rooms/{slug}/polls", decisions.polls, methods=["GET", "POST"]),
        Route("/api/v1/rooms/{slug}/polls/{poll_id}", decisions.poll),
        Route("/api/v1/rooms/{slug}/polls/{poll_id}/ballots", decisions.cast, methods=["POST"]),
        Route("/api/v1/rooms/{slug}/polls/{poll_id}/close", decisions.close, methods=["POST"]),
        Route("/api/v1/rooms/{slug}/polls/{poll_id}/receipts/{receipt}", decisions.receipt),
        Route("/api/v1/rooms/{slug}/decisions", decisions.decisions),
        Route("/api/v1/rooms/{slug}/decisions/{position}", decisions.decision),
        WebSocketRoute("/live/{room}", live_socket),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                BodyLimit, limit=settings.max_body_bytes, auth_limit=settings.max_auth_body_bytes
            ),
        ],
        exception_handlers={
            problems.Problem: problems.handle_problem,
            HTTPException: problems.handle_http_exception,
            Exception: problems.handle_unexpected,
        },
    )


def _safe_url(url: str) -> str:
    """The database URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
