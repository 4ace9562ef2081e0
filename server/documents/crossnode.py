"""Documents served by several nodes: what this node tells the others and learns from them.

Each loaded document has a bus channel. This node publishes the updates it accepts at once,
then the sequence number each was stored as, and its clients' awareness; it applies and
relays what other nodes publish.
SQL stays the source of truth: a hole in the numbers (a message lost, or overtaken), a
reconnection of the bus, or the periodic check makes the node read what it lacks from the
log (`catch_up`), so a lost message delays an update but never loses it. Updates that come in
this way are relayed to the node's connections and never logged again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable

from crdt.errors import UpdateError
from server.documents.news import (
    AwarenessNews,
    BadNews,
    DocumentNews,
    FreezeNews,
    FrozenNews,
    NumberedNews,
    decode_news,
    encode_news,
)
from server.documents.shared import SharedDocument
from server.supervisor import TaskScope, every
from storage.bus import Bus
from storage.document_log import DocumentLog

log = logging.getLogger(__name__)

UNNUMBERED_WAIT = 30.0  # how long an update from another node waits for its number
FREEZE_WAIT = 3.0  # how long a freeze waits for the other nodes' answers
GAP_GRACE = 0.15  # how long a hole may wait for an overtaken message before SQL is read
CHECK_SECONDS = 5.0  # how often loaded documents are compared with SQL (the last message)
ORPHAN_GRACE = 0.5  # how long another node's update waits for its number before that node is
# asked after (a stored update's number comes within milliseconds)
ADOPT_STAGGER = 1.0  # how much longer each further surviving node waits to store an orphan
WATCH_SECONDS = 0.25  # how often the updates waiting for their numbers are looked at


def channel_of(shared: SharedDocument) -> str:
    return document_channel(shared.stored.id)


def document_channel(document_id: int) -> str:
    return f"doc:{document_id}"


class CrossNode:
    """Follows the other nodes' changes to the documents loaded here."""

    def __init__(self, bus: Bus, log_: DocumentLog, tasks: TaskScope) -> None:
        self.bus = bus
        self._log = log_
        self._tasks = tasks
        self._followed: dict[str, SharedDocument] = {}  # by channel
        self._owners: dict[bytes, int] = {}  # awareness owner ids standing for other nodes
        self._owner_ids = itertools.count(-1, -1)
        self._catching_up: set[str] = set()
        self._freezes: dict[bytes, tuple[int, asyncio.Future[None]]] = {}  # answers awaited
        # freezes the document here (read-only, writes stored); set by the registry
        self.freeze_here: Callable[[SharedDocument], Awaitable[None]] | None = None
        bus.on_reconnect(self._resync_all)

    @property
    def active(self) -> bool:
        return self.bus.shared

    def publisher(self, channel: str) -> Callable[[DocumentNews], None] | None:
        if not self.active:
            return None
        bus = self.bus
        return lambda news: bus.publish(channel, encode_news(news))

    async def follow(self, shared: SharedDocument) -> None:
        """Start receiving the document's news, then read what was stored meanwhile."""
        if not self.active:
            return
        channel = channel_of(shared)
        self._followed[channel] = shared
        await self.bus.subscribe(channel, lambda sender, data: self._received(shared, sender, data))
        await self.catch_up(shared)

    async def unfollow(self, shared: SharedDocument) -> None:
        channel = channel_of(shared)
        if self._followed.get(channel) is shared:
            del self._followed[channel]
            await self.bus.unsubscribe(channel)

    async def freeze_everywhere(self, shared: SharedDocument) -> int:
        """Have every other node that serves the document freeze it and store what it
        accepted, then read that from SQL. Waits at most FREEZE_WAIT for the answers (a node
        that does not answer is dead or cut off from the bus; docs/scaling.md); how many
        nodes answered."""
        if not self.active:
            return 0
        channel = channel_of(shared)
        others = max(await self.bus.listeners(channel) - 1, 0)
        request = uuid.uuid4().bytes
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._freezes[request] = (others, answered)
        self.bus.publish(channel, encode_news(FreezeNews(request, freeze=True)))
        try:
            if others:
                async with asyncio.timeout(FREEZE_WAIT):
                    await answered
        except TimeoutError:
            log.warning("document %r: a node did not confirm the freeze in time", shared.name)
        finally:
            left, _ = self._freezes.pop(request)
        await self.catch_up(shared)
        return others - left

    def thaw_everywhere(self, shared: SharedDocument) -> None:
        if self.active:
            news = FreezeNews(uuid.uuid4().bytes, freeze=False)
            self.bus.publish(channel_of(shared), encode_news(news))

    def start(self) -> None:
        if self.active:
            # now and then: what the loaded documents lack; the updates of nodes now gone
            check = every(CHECK_SECONDS, self._check_once, "documents: the comparison with SQL")
            self._tasks.spawn(check, name="documents: compare with SQL")
            watch = every(WATCH_SECONDS, self.adopt_due_orphans, "documents: the orphan watch")
            self._tasks.spawn(watch, name="documents: watch over orphans")

    async def catch_up(self, shared: SharedDocument) -> int:
        """Apply the stored updates this copy lacks; how many there were."""
        applied = 0
        rows = await self._log.read_updates(shared.stored.id, after_seq=shared.numbers.through)
        for seq, update in rows:
            try:
                applied += shared.apply_remote(seq, update)
            except UpdateError:
                log.exception("document %r: stored update %d is refused", shared.name, seq)
        if applied:
            log.info("document %r: %d updates read from SQL", shared.name, applied)
        return applied

    def _received(self, shared: SharedDocument, sender: bytes, data: bytes) -> None:
        try:
            news = decode_news(data)
        except BadNews:
            log.warning("document %r: a bus message was not understood", shared.name)
            return
        if isinstance(news, AwarenessNews):
            owner = self._owners.setdefault(sender, next(self._owner_ids))
            shared.apply_remote_awareness(owner, news.payload)
            return
        if isinstance(news, FreezeNews):
            self._asked_to_freeze(shared, news)
            return
        if isinstance(news, FrozenNews):
            self._freeze_answered(news)
            return
        if isinstance(news, NumberedNews):
            if not shared.number_remote(sender, news.local, news.seq, news.count):
                self._catch_up_later(shared, GAP_GRACE)  # its update never came: read it
            elif shared.numbers.has_gap:
                self._catch_up_later(shared, GAP_GRACE, unless_filled=True)
            return
        try:
            shared.apply_remote_unnumbered(sender, news.local, news.update, news.validated)
        except UpdateError:
            log.warning("document %r: an update from another node is refused", shared.name)

    async def _forget_dead_nodes(self, followed: list[SharedDocument]) -> None:
        """Drop the awareness of nodes that died."""
        alive = await self.bus.live_nodes()
        if alive is None or self.bus.node_id not in alive:
            return  # the bus cannot tell now (just restarted: no node has beaten yet)
        for node, owner in list(self._owners.items()):
            if node not in alive:
                del self._owners[node]
                for shared in followed:
                    shared.forget_remote_awareness(owner)

    async def adopt_due_orphans(self) -> None:
        """Store the updates another node relayed here more than ORPHAN_GRACE ago whose
        number has not come, if that node has left the bus (died: its connection to Redis is
        gone) and SQL lacks them. So that one survivor stores each, the survivors take turns
        by node id, each ADOPT_STAGGER after the one before, and look in SQL first."""
        now = time.monotonic()
        waiting = [s for s in self._followed.values() if s.remote_unnumbered]
        senders: set[bytes] = set()
        for shared in waiting:
            senders |= shared.remote_unnumbered.senders(now - ORPHAN_GRACE)
        if not senders:
            return
        gone = await self.bus.gone(senders)
        if not gone:
            return
        alive = await self.bus.live_nodes() or set()
        survivors = sorted((alive - gone) | {self.bus.node_id})
        turn = survivors.index(self.bus.node_id)
        for shared in waiting:
            arrived_before = now - ORPHAN_GRACE - turn * ADOPT_STAGGER
            await self._adopt(shared, shared.remote_unnumbered.orphans(gone, arrived_before))

    async def adopt_orphans(self, shared: SharedDocument) -> None:
        """Before the document leaves memory: store the unnumbered updates of nodes that have
        left the bus, or of every node when the bus cannot tell (a row stored twice holds the
        same bytes, a lost one is lost). Those of nodes still there are theirs to store: once
        the document is unloaded here, a writer who reconnects sends them again."""
        if shared.remote_unnumbered:
            gone = await self.bus.gone(shared.remote_unnumbered.senders(math.inf))
            await self._adopt(shared, shared.remote_unnumbered.orphans(gone, math.inf))
            shared.remote_unnumbered.clear()

    async def _adopt(self, shared: SharedDocument, updates: list[bytes]) -> None:
        for update in updates:
            if not await self._log.holds(shared.stored.id, update):
                log.warning("document %r: storing an update of a node that left", shared.name)
                shared.adopt(update)

    def _asked_to_freeze(self, shared: SharedDocument, news: FreezeNews) -> None:
        if not news.freeze:
            shared.frozen = False  # the access review gives writers their pens back
            return
        freeze_here = self.freeze_here
        if freeze_here is None:
            return

        async def freeze() -> None:
            await freeze_here(shared)
            self.bus.publish(channel_of(shared), encode_news(FrozenNews(news.request)))

        self._tasks.spawn(freeze(), name=f"freeze {shared.name}")

    def _freeze_answered(self, news: FrozenNews) -> None:
        waiting = self._freezes.get(news.request)
        if waiting is None:
            return
        left, answered = waiting
        left -= 1
        self._freezes[news.request] = (left, answered)
        if left <= 0 and not answered.done():
            answered.set_result(None)

    def _catch_up_later(
        self, shared: SharedDocument, delay: float, *, unless_filled: bool = False
    ) -> None:
        """Catch up after ``delay``; with ``unless_filled``, not if the hole closed meanwhile
        (the message was only overtaken)."""
        if shared.name in self._catching_up:
            return
        self._catching_up.add(shared.name)

        async def later() -> None:
            try:
                await asyncio.sleep(delay)
                if shared.numbers.has_gap or not unless_filled:
                    await self.catch_up(shared)
            finally:
                self._catching_up.discard(shared.name)

        self._tasks.spawn(later(), name=f"catch up {shared.name}")

    def _resync_all(self) -> None:
        for shared in list(self._followed.values()):
            self._catch_up_later(shared, 0)

    async def _check_once(self) -> None:
        """Read what the loaded documents lack (a lost last message), and drop the
        awareness of nodes that died."""
        followed = list(self._followed.values())
        if not followed:
            return
        await self._forget_dead_nodes(followed)
        for shared in followed:
            shared.remote_unnumbered.forget(time.monotonic() - UNNUMBERED_WAIT)
        stored = await self._log.last_seqs([s.stored.id for s in followed])
        for shared in followed:
            if stored.get(shared.stored.id, 0) > shared.numbers.through:
                self._catch_up_later(shared, 0)
