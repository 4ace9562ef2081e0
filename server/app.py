"""The Starlette application: routes, middleware and error handlers (composition only);
the services it runs are built in server/services.py."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from server.http import (
    amendments,
    auth,
    consultations,
    decisions,
    directory,
    feeds,
    health,
    history,
    messages,
    notices,
    rooms,
    schedule,
    web,
)
from server.http.errors import EXCEPTION_HANDLERS
from server.http.limits import BodyLimit, SecurityHeaders
from server.http.openapi import openapi
from server.http.routing import ShapedRouter
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

    api = [
        Route("/openapi.json", openapi),
        *auth.routes,
        *rooms.routes,
        *history.routes,
        *amendments.routes,
        *messages.routes,
        *decisions.routes,
        *directory.routes,
        *consultations.routes,
        *notices.routes,
        *schedule.routes,
    ]
    routes = [
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz),
        Route("/metrics", health.metrics),
        Mount("/api/v1", app=ShapedRouter(api)),
        *feeds.routes,
        *web.routes,
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
        exception_handlers=EXCEPTION_HANDLERS,
    )


def _safe_url(url: str) -> str:
    """The database URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
