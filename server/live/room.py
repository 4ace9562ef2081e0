"""A live room on this node: its connections, and its events delivered to them in order.

Events are numbered by the database (storage/discussion.py) in commit order. Two commands can
finish out of order, so the room holds back an event until every smaller number was
delivered; a number that does not come within `GAP_WAIT` seconds (committed elsewhere) is
read from SQL. A connection that resumes from event N gets N+1… from SQL first, then the live
events that arrived meanwhile, minus the ones it already got: no gap, no duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from server.live.connection import LiveConnection, Presenter, Shown, Viewer, framed
from server.live.ephemeral import EphemeralOutbox
from server.live.pacing import Pacer
from server.live.presence import Presence, PresenceBoard
from server.live.seats import SeatLimits, Seats
from server.supervisor import TaskScope, TaskSupervisor
from storage.accounts import StoredUser
from storage.discussion import DiscussionStore
from storage.room_events import StoredEvent
from storage.rooms import StoredRoom

log = logging.getLogger(__name__)

GAP_WAIT = 0.5
REPLAY_PAGE = 500
TYPING_SECONDS = 6.0
# typing and idle frames check the room as read at most this long ago: a flood of them costs
# one room query a second, not one a frame (issue 10)
ROOM_RECHECK = 1.0
NODE_ONLY = "node."  # the type prefix of messages between nodes' services (tell_nodes)


@dataclass(frozen=True)
class RoomLimits:
    """The limits of one live room on this node (from Settings; docs/protocol.md)."""

    seats: SeatLimits
    presence_rate: float  # typing or idle changes told per person per second
    leave_grace: float = 2.0  # seconds a person's `left` waits for them to come back


# brings replayed events up to date (a message deleted or hidden since): room id, page
Redactor = Callable[[int, list[StoredEvent]], Awaitable[list[StoredEvent]]]


EventWatch = Callable[["LiveRoom", StoredEvent], None]


class LiveRoom:
    def __init__(
        self,
        room_id: int,
        store: DiscussionStore,
        presence: PresenceBoard,
        present: Presenter,
        redact: Redactor,
        delivered: int,
        limits: RoomLimits,
        tasks: TaskScope | None = None,
        told: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.room_id = room_id
        self._told = told  # passes what is told here on to the room's other nodes
        self.connections: dict[int, LiveConnection] = {}
        self.seats = Seats(limits.seats)
        self._pacer = Pacer(1.0 / limits.presence_rate, self.spawn)
        self._grace = limits.leave_grace
        # people whose last connection closed less than `leave_grace` ago: still counted
        # present, their `left` not told yet (a quick reconnection tells nothing)
        self._leaving: dict[int, asyncio.TimerHandle] = {}
        self._tasks = tasks or TaskSupervisor().scope()  # its background work
        self._departures = TaskSupervisor().scope() if tasks is None else tasks.supervisor.scope()
        self._store, self._presence, self._present = store, presence, present
        self._redact = redact
        self._next = delivered + 1
        self._waiting: dict[int, StoredEvent] = {}
        self._gap_timer: asyncio.TimerHandle | None = None
        self.watch: EventWatch | None = None  # sees every event delivered here, in order
        self._typing: dict[int, asyncio.TimerHandle] = {}
        self._later: dict[str, asyncio.TimerHandle] = {}
        self._room: tuple[float, StoredRoom] | None = None  # when read, and what
        self._shown: set[str] = set()  # who the board showed at the last `recount`
        self._attachments = 0
        # presence and typing, written at most once per interval while they come fast
        self._ephemeral = EphemeralOutbox(self.connections.values)

    @property
    def delivered(self) -> int:
        return self._next - 1

    def attach(self, connection: LiveConnection) -> None:
        """Count a connection in (LiveRooms.open); it is shown what is told from now on."""
        self._attachments += 1
        connection.attached = self._attachments
        self.connections[connection.id] = connection

    def room_read(self, room: StoredRoom) -> None:
        """The room as just read from SQL (every command reads it)."""
        self._room = (asyncio.get_running_loop().time(), room)

    def recent_room(self) -> StoredRoom | None:
        """The room as read less than ROOM_RECHECK seconds ago, else None (read it again)."""
        if self._room is None:
            return None
        read_at, room = self._room
        return room if asyncio.get_running_loop().time() - read_at < ROOM_RECHECK else None

    # -- events ----------------------------------------------------------------------------
    def _encoded(self) -> Shown:
        """Events framed as each kind of viewer sees them, each frame made once: what a
        viewer is shown depends only on whether they moderate (server/live/events.py)."""
        made: dict[tuple[int, bool], bytes] = {}

        def shown(event: StoredEvent, viewer: Viewer) -> bytes:
            key = (event.seq, viewer.moderator)
            frame = made.get(key)
            if frame is None:
                frame = made[key] = framed(self._present(event, viewer))
            return frame

        return shown

    def publish(self, event: StoredEvent) -> None:
        """Deliver a committed event to every connection, in number order."""
        if event.seq < self._next or event.seq in self._waiting:
            return
        self._waiting[event.seq] = event
        self._ephemeral.flush()  # what was told before this event goes before it
        while self._next in self._waiting:
            ready = self._waiting.pop(self._next)
            self._next += 1
            shown = self._encoded()  # encoded once per kind of viewer, not once per viewer
            for connection in list(self.connections.values()):
                connection.deliver(ready, shown)
            if self.watch is not None:
                self.watch(self, ready)
        if self._waiting and self._gap_timer is None:
            loop = asyncio.get_running_loop()
            self._gap_timer = loop.call_later(GAP_WAIT, lambda: self.spawn(self.fill_gap()))
        elif not self._waiting and self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None

    async def fill_gap(self) -> None:
        """Deliver the events after the last one delivered, read from SQL."""
        self._gap_timer = None
        missing = await self._store.events_after(self.room_id, self.delivered, REPLAY_PAGE)
        for event in missing:
            self.publish(event)

    def tell(self, message: dict[str, Any], *, exclude: LiveConnection | None = None) -> None:
        """An ephemeral message (presence, typing) to every connection, on every node; not
        numbered."""
        self.hear(message, exclude=exclude)
        if self._told is not None:
            self._told(message)

    def hear(self, message: dict[str, Any], *, exclude: LiveConnection | None = None) -> None:
        """An ephemeral message to this node's connections (one told on another node)."""
        # framed once for everyone; held a moment when many come (server/live/ephemeral.py)
        self._ephemeral.add(framed(message), exclude, self._attachments)

    # -- connections -----------------------------------------------------------------------
    async def join(self, connection: LiveConnection, since: int | None) -> None:
        """Replay the events after ``since`` to a connection attached by `LiveRooms.open`
        (None: none), then let it go live."""
        connection.cursor = self.delivered if since is None else since
        while since is not None:
            page = await self._store.events_after(self.room_id, connection.cursor, REPLAY_PAGE)
            for event in await self._redact(self.room_id, page):
                connection.cursor = event.seq
                connection.send(self._present(event, connection.viewer))
            if len(page) < REPLAY_PAGE:
                break
        connection.replayed(self._encoded())
        user = connection.user
        if user is None:
            return
        connection.counted = True
        lingering = self._leaving.pop(user.id, None)
        if lingering is not None:
            # back within the grace: the room was not told they left, so it is not told they
            # came; this connection takes over the place still counted for them
            lingering.cancel()
            return
        person = Presence(user.id, user.name, user.display_name)
        if await self._presence.arrive(self.room_id, person):
            self.tell(_presence(person, "joined"), exclude=connection)

    async def leave(self, connection: LiveConnection) -> None:
        """Detach a connection. A person's last connection is counted on for `leave_grace`
        seconds more before `left` is told, so that closing and opening connections in a loop
        tells the room nothing (joined/left churn, issue 10)."""
        if self.connections.pop(connection.id, None) is None:
            return
        self.seats.give_back(connection.seat)
        user = connection.user
        if user is None or not connection.counted:
            return
        connection.counted = False
        if user.id in self._leaving or self._grace <= 0:
            await self._depart(user)  # with one lingering, this is not their last
            return

        def gone() -> None:
            self._leaving.pop(user.id, None)
            self._departures.spawn(self._depart(user), name=f"departure {user.id}")

        self._leaving[user.id] = asyncio.get_running_loop().call_later(self._grace, gone)

    async def _depart(self, user: StoredUser) -> None:
        if await self._presence.depart(self.room_id, user.id):
            self._stop_typing_timer(user.id)
            self._pacer.forget(user.id)
            self.tell({"type": "presence", "user": user.name, "state": "left"})

    async def present(self) -> list[Presence]:
        return await self._presence.present(self.room_id)

    async def recount(self) -> None:
        """Several nodes: tell `left` for people the board stopped showing without a word
        (their node died, and its part of the board expired)."""
        names = {person.name for person in await self.present()}
        for name in sorted(self._shown - names):
            self.hear({"type": "presence", "user": name, "state": "left"})
        self._shown = names

    async def set_idle(self, user: StoredUser, idle: bool) -> None:
        """Paced: server/live/pacing.py."""

        async def announce(value: bool) -> None:
            entry = await self._presence.update(self.room_id, user.id, idle=value)
            if entry is not None:
                self.tell(_presence(entry, "idle" if value else "active"))

        await self._pacer.change(user.id, "idle", idle, announce)

    async def set_typing(self, user: StoredUser, active: bool) -> None:
        """Typing shows for TYPING_SECONDS unless renewed; stopping is announced too.
        Paced: server/live/pacing.py."""
        self._stop_typing_timer(user.id)
        if active:
            loop = asyncio.get_running_loop()
            self._typing[user.id] = loop.call_later(
                TYPING_SECONDS, lambda: self.spawn(self.set_typing(user, False))
            )

        async def announce(value: bool) -> None:
            entry = await self._presence.update(self.room_id, user.id, typing=value)
            if entry is not None:
                self.tell({"type": "typing", "user": user.name, "active": value})

        await self._pacer.change(user.id, "typing", active, announce)

    def _stop_typing_timer(self, user_id: int) -> None:
        timer = self._typing.pop(user_id, None)
        if timer is not None:
            timer.cancel()

    def later(
        self,
        key: str,
        delay: float,
        job: Callable[[], Coroutine[Any, Any, None]],
        *,
        replace: bool = True,
    ) -> None:
        """Run ``job`` once in ``delay`` seconds while the room is open (the speaking timer).
        One job per ``key``: a new one replaces it, unless ``replace`` is False."""
        if key in self._later and not replace:
            return
        self.cancel_later(key)

        def fire() -> None:
            self._later.pop(key, None)
            self.spawn(job())

        self._later[key] = asyncio.get_running_loop().call_later(max(delay, 0.0), fire)

    def cancel_later(self, key: str) -> None:
        timer = self._later.pop(key, None)
        if timer is not None:
            timer.cancel()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(coro, name=f"live room {self.room_id}")

    async def stop(self) -> None:
        self._ephemeral.stop()
        for timer in (self._gap_timer, *self._typing.values(), *self._later.values()):
            if timer is not None:
                timer.cancel()
        self._later.clear()
        self._pacer.stop()
        # the board outlives the room: what it still counts for people leaving is given back
        # (nobody is left to tell), and departures under way finish rather than be cancelled
        leaving, self._leaving = self._leaving, {}
        for user_id, timer in leaving.items():
            timer.cancel()
            await self._presence.depart(self.room_id, user_id)
        await self._departures.wait(timeout=5)
        await self._tasks.cancel()


def _presence(person: Presence, state: str) -> dict[str, Any]:
    return {
        "type": "presence",
        "user": person.name,
        "display_name": person.display_name,
        "state": state,
    }
