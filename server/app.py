"""The Starlette application and the services it runs (one `Services` per process)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from crdt.document import Backend, load_backend, warm_up
from server.document_socket import WriteCoalescer
from server.documents.registry import DocumentRegistry
from server.http import health, history, problems
from server.http.openapi import openapi
from server.metrics import Metrics
from server.settings import Settings
from storage.database import Database, upgrade
from storage.document_log import DocumentLog
from storage.group_commit import GroupCommitter

log = logging.getLogger(__name__)


class RedisProbe:
    """Answers /readyz for the configured Redis (the bus and presence come with scaling)."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis  # optional extra: only needed when configured

        self._client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    async def ping(self) -> object:
        return await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()


@dataclass
class Services:
    settings: Settings
    database: Database
    log: DocumentLog
    committer: GroupCommitter
    documents: DocumentRegistry
    backend: Backend
    metrics: Metrics
    redis: RedisProbe | None
    coalescer: WriteCoalescer = field(default_factory=WriteCoalescer)

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool = True) -> Services:
        backend = load_backend(settings.crdt_backend)
        warm_up(backend)
        if migrate:
            await upgrade(settings.database_url)
        database = Database(settings.database_url)
        metrics = Metrics()
        document_log = DocumentLog(database)
        # Open the pool's first connection and compile the load queries now, so the first
        # client after a restart does not wait for them (~10 ms, bench coldopen).
        await document_log.find_document("")
        committer = GroupCommitter(
            document_log,
            max_batch=settings.commit_max_batch,
            max_delay=settings.commit_max_delay,
            on_commit=metrics.observe_commit,
        )
        await committer.start()
        documents = DocumentRegistry(settings, document_log, committer, backend, metrics)
        await documents.start()
        redis = RedisProbe(settings.redis_url) if settings.redis_url else None
        return cls(settings, database, document_log, committer, documents, backend, metrics, redis)

    async def stop(self) -> None:
        """Unload every document (their writes committed and checkpointed), then close."""
        await self.documents.stop()
        await self.committer.stop()
        if self.redis is not None:
            await self.redis.close()
        await self.database.dispose()


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
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
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
