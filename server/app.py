"""The Starlette application and the services it runs (one `Services` per process)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from crdt.document import Backend, load_backend, warm_up
from server.accounts import secret_key
from server.accounts.ratelimit import SlidingWindow
from server.accounts.service import Accounts, SignIn
from server.accounts.signing import TokenSigner
from server.decisions.service import Decisions
from server.document_socket import WriteCoalescer
from server.documents.admission import Admission
from server.documents.forks import Forks
from server.documents.quota import ConnectionQuota
from server.documents.registry import DocumentRegistry
from server.documents.review import AccessReviewer
from server.http import amendments, auth, decisions, health, history, messages, problems, rooms
from server.http.limits import BodyLimit, SecurityHeaders
from server.http.openapi import openapi
from server.live.commands import LiveServices
from server.live.events import present
from server.live.presence import LocalPresence
from server.live.room import LiveRooms
from server.live.service import LiveDispatcher, redact_replay
from server.live.session import describe as describe_session
from server.live.socket import live_socket
from server.live.tallies import BallotBatches
from server.metrics import Metrics
from server.rooms.service import Rooms
from server.settings import Settings
from storage.access import AccessStore
from storage.accounts import AccountStore
from storage.amendments import AmendmentStore
from storage.audit import AuditLog
from storage.database import Database, upgrade
from storage.discussion import DiscussionStore
from storage.document_log import DocumentLog
from storage.group_commit import GroupCommitter
from storage.live_session import LiveSessionStore
from storage.models import utc_now
from storage.moderation import ModerationStore
from storage.polls import PollStore
from storage.proposals import ProposalStore
from storage.rooms import RoomStore

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
    audit: AuditLog
    accounts: Accounts
    sign_in: SignIn
    rooms: Rooms
    admission: Admission
    access_review: AccessReviewer
    quota: ConnectionQuota
    discussion: DiscussionStore
    live_rooms: LiveRooms
    live: LiveDispatcher
    decisions: Decisions
    forks: Forks
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
        audit = AuditLog(database)
        accounts = Accounts(AccountStore(database), audit)
        sign_in = SignIn(
            accounts,
            TokenSigner(signing_key(settings)),
            access_ttl=timedelta(seconds=settings.access_token_ttl),
            session_ttl=timedelta(seconds=settings.session_ttl),
            per_account=SlidingWindow(settings.login_failures_per_account, settings.login_window),
            per_address=SlidingWindow(settings.login_failures_per_address, settings.login_window),
        )
        rooms = Rooms(RoomStore(database), accounts.store, document_log, audit)
        access_store = AccessStore(database)
        await access_store.place_of("")  # compiles the admission query now, as above
        admission = Admission(sign_in, access_store, open_documents=settings.open_documents)
        discussion = DiscussionStore(database)
        live_rooms = LiveRooms(
            discussion,
            LocalPresence(),
            present,
            lambda room_id, events: redact_replay(discussion, room_id, events),
        )
        access_review = AccessReviewer(
            admission, documents, settings.access_review_every, live_rooms.connections
        )
        # a revoked token, a removed member, an archived room: every such change is audited,
        # so an audit event is the cue to re-check the open connections at once
        audit.listen(lambda _action: access_review.wake())
        await access_review.start()
        live = LiveDispatcher(
            LiveServices(
                settings,
                discussion,
                ModerationStore(database, discussion),
                LiveSessionStore(database, describe_session),
                accounts.store,
                audit,
                live_rooms,
                utc_now,
            ),
            rooms.store,
            access_store,
            settings.max_live_frame_bytes,
        )
        forks = Forks(documents, document_log, backend, AmendmentStore(database))
        decisions = Decisions(
            rooms=rooms,
            room_store=rooms.store,
            proposals=ProposalStore(database),
            polls=PollStore(database),
            documents=documents,
            discussion=discussion,
            live_rooms=live_rooms,
            accounts=accounts.store,
            audit=audit,
            forks=forks,
            clock=utc_now,
            secret_batches=BallotBatches(
                settings.secret_tally_batch, settings.secret_tally_seconds
            ),
        )
        await decisions.start()
        return cls(
            settings,
            database,
            document_log,
            committer,
            documents,
            backend,
            metrics,
            redis,
            audit,
            accounts,
            sign_in,
            rooms,
            admission,
            access_review,
            ConnectionQuota(settings.max_connections_per_user),
            discussion,
            live_rooms,
            live,
            decisions,
            forks,
        )

    async def stop(self) -> None:
        """Unload every document (their writes committed and checkpointed), then close."""
        await self.decisions.stop()
        await self.access_review.stop()
        await self.live_rooms.stop()
        await self.documents.stop()
        await self.committer.stop()
        if self.redis is not None:
            await self.redis.close()
        await self.database.dispose()


def signing_key(settings: Settings) -> bytes:
    """`VECHE_SECRET_KEY`, else the key generated on first start and kept in a 0600 file."""
    if settings.secret_key is not None:
        return settings.secret_key.encode()
    path = settings.secret_key_file()
    existed = path.exists()
    key = secret_key.load_or_create(path)
    if not existed:
        log.warning("VECHE_SECRET_KEY is unset: generated a signing key in %s", path)
    return key


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
