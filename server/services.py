"""The services of one process, built once at start-up and stopped at shutdown.

`Services.start` is the composition root of everything below the HTTP edge: it builds each
domain service with keyword arguments from the settings and the stores. The Starlette app
(server/app.py) keeps one `Services` in its state; handlers and sockets take it from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crdt.document import Backend, load_backend, warm_up
from server.accounts.service import Accounts, SignIn
from server.accounts.signing import TokenSigner
from server.cached_reads import ReadMemory
from server.consultations.service import Consultations
from server.decisions.context import DecisionsContext
from server.decisions.schedule import RECHECK_SECONDS
from server.decisions.service import Decisions
from server.directory.service import Directory
from server.documents.admission import Admission
from server.documents.amendments import Amendments
from server.documents.comments import Comments
from server.documents.forks import Forks
from server.documents.quota import ConnectionQuota
from server.documents.registry import DocumentRegistry
from server.documents.review import AccessReviewer
from server.documents.versions import Versions
from server.live.commands import LiveServices
from server.live.crossnode import RoomLinks
from server.live.events import present
from server.live.history import MessageHistory
from server.live.presence import LocalPresence
from server.live.rooms import LiveRooms
from server.live.schedule import SessionPlans
from server.live.service import LiveDispatcher, redact_replay
from server.live.session import describe as describe_session
from server.live.session import timer_keeper
from server.live.shared_presence import SharedPresence
from server.live.tallies import BallotBatches
from server.metrics import Metrics, watch_loop
from server.notices.wiring import NoticeServices, start_notices
from server.rooms.service import Rooms
from server.settings import Settings
from server.supervisor import TaskSupervisor, every
from server.wiring import RedisProbe, login_throttle, signing_key, start_bus, start_presence
from server.write_coalescer import WriteCoalescer
from storage.access import AccessStore
from storage.accounts import AccountStore
from storage.amendments import AmendmentStore
from storage.audit import AuditLog
from storage.bus import Bus
from storage.consultations import ConsultationStore
from storage.database import Database, upgrade
from storage.directory import DirectoryStore
from storage.discussion import DiscussionStore
from storage.document_log import DocumentLog
from storage.group_commit import GroupCommitter
from storage.live_session import LiveSessionStore
from storage.models import utc_now
from storage.moderation import ModerationStore
from storage.polls import PollStore
from storage.proposals import ProposalStore
from storage.rooms import RoomStore
from storage.schedule import PlannedSessionStore
from storage.search import MessageSearch

log = logging.getLogger(__name__)

ACCESS_CHANNEL = "access"  # "review your open connections": a role or token changed
# Audited events that take no access away from anyone: they neither wake the access review
# nor empty the admission answers kept in memory. Every other audited event does both.
GRANTS_ONLY = frozenset(
    {
        "auth.login",
        "auth.login_failed",
        "auth.login_throttled",
        "token.issued",
        "user.created",
        "consultation.commented",
        "consultation.responded",
    }
)
DEADLINES_CHANNEL = "deadlines"  # a vote opens or closes at this time
SQL_CHECK_SECONDS = 5.0  # several nodes: how often open rooms look in SQL for missed events
# a passed deadline is closed and announced within this; comments are refused from the
# deadline itself (storage/consultations.py)
CONSULTATION_CHECK_SECONDS = 5.0
TOKEN_USES_SECONDS = 5.0  # how often the API tokens' last uses are written


@dataclass(kw_only=True)
class Services:
    settings: Settings
    tasks: TaskSupervisor
    database: Database
    log: DocumentLog
    committer: GroupCommitter
    documents: DocumentRegistry
    backend: Backend
    metrics: Metrics
    bus: Bus
    presence: LocalPresence | SharedPresence
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
    amendments: Amendments
    comments: Comments
    versions: Versions
    messages: MessageHistory
    live_sessions: LiveSessionStore
    directory: Directory
    consultations: Consultations
    notices: NoticeServices
    session_plans: SessionPlans
    clock: Callable[[], datetime] = utc_now
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
            max_pending=settings.commit_backlog,
            on_commit=metrics.observe_commit,
        )
        await committer.start()
        tasks = TaskSupervisor()  # the one owner of background work; stopped last
        tasks.spawn(watch_loop(metrics), name="event loop: watch")
        bus = start_bus(settings)
        await bus.start()
        coalescer = WriteCoalescer()
        documents = DocumentRegistry(
            settings,
            document_log,
            committer,
            backend,
            metrics,
            tasks=tasks.scope(),
            bus=bus,
            at_turn_end=coalescer.before_flush,
        )
        await documents.start()
        redis = RedisProbe(settings.redis_url) if settings.redis_url else None
        audit = AuditLog(database)
        accounts = Accounts(AccountStore(database), audit)
        # admission answers (credentials, places, roles, rooms) kept as long as the access
        # review's period, and not at all while other nodes' changes cannot be heard
        memory = ReadMemory(
            settings.access_review_every, trusted=lambda: not bus.shared or bus.connected
        )
        sign_in = SignIn(
            accounts,
            TokenSigner(signing_key(settings)),
            access_ttl=timedelta(seconds=settings.access_token_ttl),
            session_ttl=timedelta(seconds=settings.session_ttl),
            throttle=login_throttle(settings),
            memory=memory,
        )
        rooms = Rooms(RoomStore(database), accounts.store, document_log, audit)
        access_store = AccessStore(database)
        await access_store.place_of("")  # compiles the admission query now, as above
        admission = Admission(
            sign_in, access_store, open_documents=settings.open_documents, memory=memory
        )
        discussion = DiscussionStore(database)
        presence = start_presence(settings, bus)
        live_rooms = LiveRooms(
            discussion,
            presence,
            present,
            lambda room_id, events: redact_replay(discussion, room_id, events),
            tasks=tasks,
            links=RoomLinks(bus),
        )
        if bus.shared:
            tasks.spawn(live_rooms.follow_sql(SQL_CHECK_SECONDS), name="live rooms: compare")
            bus.on_reconnect(live_rooms.catch_up_all)
        if isinstance(presence, SharedPresence):
            tasks.spawn(presence.renew_forever(), name="presence: renew")
        access_review = AccessReviewer(
            admission,
            documents,
            settings.access_review_every,
            live_rooms.connections,
            tasks=tasks,
            hurried=lambda: bus.shared and not bus.connected,  # cut off from the other nodes
        )

        # a revoked token, a removed member, an archived room: every such change is audited,
        # so an audit event is the cue to re-check the open connections at once
        def access_changed() -> None:
            memory.forget()
            access_review.wake()

        def audited(action: str) -> None:
            if action in GRANTS_ONLY:
                return
            access_changed()
            if bus.shared:  # and on every other node: a change made here is theirs too
                bus.publish(ACCESS_CHANNEL, b"review")

        audit.listen(audited)

        async def sweep() -> None:
            memory.sweep()

        tasks.spawn(every(memory.ttl, sweep, "admission memory: sweep"), name="memory: sweep")
        tasks.spawn(
            every(TOKEN_USES_SECONDS, sign_in.record_token_uses, "API tokens: last uses"),
            name="API tokens: last uses",
        )
        if bus.shared:
            await bus.subscribe(ACCESS_CHANNEL, lambda _node, _news: access_changed())
            bus.on_reconnect(access_changed)
        await access_review.start()
        live_sessions = LiveSessionStore(database, describe_session)
        live_rooms.watch = timer_keeper(live_sessions, utc_now)
        live = LiveDispatcher(
            LiveServices(
                settings,
                discussion,
                ModerationStore(database, discussion),
                live_sessions,
                accounts.store,
                audit,
                live_rooms,
                utc_now,
            ),
            admission,
            access_store,
            settings.max_live_frame_bytes,
        )
        amendment_store = AmendmentStore(database)
        forks = Forks(documents, document_log, backend, amendment_store)
        decisions = Decisions(
            DecisionsContext(
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
            ),
            spawn=tasks.spawn,
            secret_batches=BallotBatches(
                settings.secret_tally_batch, settings.secret_tally_seconds
            ),
            announce=(
                (lambda at: bus.publish(DEADLINES_CHANNEL, at.isoformat().encode()))
                if bus.shared
                else None
            ),
            recheck=SQL_CHECK_SECONDS if bus.shared else RECHECK_SECONDS,
        )
        if bus.shared:  # a deadline set on another node: fire here too (closing is once)
            await bus.subscribe(
                DEADLINES_CHANNEL,
                lambda _node, at: decisions.deadlines.note(datetime.fromisoformat(at.decode())),
            )
        live_rooms.node_news = decisions.live_tally.heard  # ballots stored on other nodes
        await decisions.start()
        directory = Directory(DirectoryStore(database), audit)
        consultations = Consultations(
            store=ConsultationStore(database),
            proposals=ProposalStore(database),
            rooms=rooms.store,
            forks=forks,
            directory=directory,
            live_rooms=live_rooms,
            audit=audit,
            clock=utc_now,
        )
        tasks.spawn(
            every(CONSULTATION_CHECK_SECONDS, consultations.close, "consultations: close"),
            name="consultations: close at the deadline",
        )
        return cls(
            settings=settings,
            tasks=tasks,
            directory=directory,
            consultations=consultations,
            session_plans=SessionPlans(PlannedSessionStore(database), audit, utc_now),
            notices=start_notices(
                settings,
                database,
                tasks,
                key=signing_key(settings),
                rooms=rooms.store,
                directory=directory.store,
            ),
            database=database,
            log=document_log,
            committer=committer,
            documents=documents,
            backend=backend,
            metrics=metrics,
            bus=bus,
            presence=presence,
            redis=redis,
            audit=audit,
            accounts=accounts,
            sign_in=sign_in,
            rooms=rooms,
            admission=admission,
            access_review=access_review,
            quota=ConnectionQuota(settings.max_connections_per_user),
            discussion=discussion,
            live_rooms=live_rooms,
            live=live,
            decisions=decisions,
            forks=forks,
            amendments=Amendments(
                admission=admission,
                forks=forks,
                rooms=rooms,
                store=amendment_store,
                audit=audit,
            ),
            comments=Comments(forks=forks, store=amendment_store, clock=utc_now),
            versions=Versions(log=document_log, loader=documents.loader),
            messages=MessageHistory(
                discussion=discussion, search=MessageSearch(database), accounts=accounts.store
            ),
            live_sessions=live_sessions,
            clock=utc_now,
            coalescer=coalescer,
        )

    async def stop(self) -> None:
        """Unload every document (their writes committed and checkpointed), then close."""
        await self.decisions.stop()
        await self.access_review.stop()
        await self.live_rooms.stop()
        await self.documents.stop()
        await self.tasks.stop()  # nothing supervised submits while the committer drains
        await self.sign_in.record_token_uses()
        await self.notices.close()
        await self.committer.stop()
        await self.bus.stop()
        if isinstance(self.presence, SharedPresence):
            await self.presence.close()
        if self.redis is not None:
            await self.redis.close()
        await self.sign_in.throttle.close()
        await self.database.dispose()
