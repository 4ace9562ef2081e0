"""Opening scheduled votes and closing votes at their time: a timer set to the next deadline.

The timer is armed for the earliest opening or closing time in the database (one query),
re-armed after each firing, and brought forward when this process opens a vote with an
earlier deadline (`Deadlines.note`). A vote created by another process is seen when the
timer next reads the database: it never waits longer than `RECHECK_SECONDS`, so a deadline
set elsewhere is kept within that bound (with several nodes, the bus tells it at once:
server/services.py). Closing stays exactly-once whoever fires: the store closes a poll in
one transaction. docs/decisions.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from storage.polls import PollStore, StoredPoll

log = logging.getLogger(__name__)

RECHECK_SECONDS = 30.0  # the longest the timer sleeps (votes set by other processes)
RETRY_SECONDS = 1.0  # after a failed round (a database outage)
LATE_BY = 0.005  # fire just after the deadline: a timer may run a little early
Spawn = Callable[[Coroutine[Any, Any, None]], object]


class Deadlines:
    def __init__(
        self,
        polls: PollStore,
        clock: Callable[[], datetime],
        *,
        open_scheduled: Callable[[StoredPoll], Awaitable[None]],
        close_due: Callable[[StoredPoll], Awaitable[object]],
        spawn: Spawn,
        recheck: float = RECHECK_SECONDS,
    ) -> None:
        self._polls, self._clock, self._spawn = polls, clock, spawn
        self._open_scheduled, self._close_due = open_scheduled, close_due
        self._recheck = recheck
        self._timer: asyncio.TimerHandle | None = None
        self._due_at: datetime | None = None  # when the armed timer fires
        self._running = False
        self._held = False  # see hold
        self.rounds = 0  # times the deadlines were processed (for tests and metrics)

    async def start(self) -> None:
        await self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def hold(self) -> None:
        """Fire no more on its own: what is due waits for `run_due` (a test that must know
        when scheduled votes open and close, e.g. to compare the database around a request)."""
        self._held = True
        self.stop()

    async def run_due(self) -> None:
        """Open and close what is due now, at once: one round, as when the timer fires."""
        await self._round()

    def note(self, deadline: datetime) -> None:
        """A vote of this process opens or closes at ``deadline``: fire no later."""
        if self._due_at is None or deadline < self._due_at:
            self._set(deadline)

    def reschedule(self) -> None:
        """Read the next deadline again now (a deadline changed outside this process)."""
        self._set(self._clock())

    async def _arm(self) -> None:
        try:
            deadline = await self._polls.next_deadline()
        except Exception:
            log.warning("reading the next vote deadline failed; retrying", exc_info=True)
            self._set_in(RETRY_SECONDS)
            return
        if deadline is None:
            self._set_in(self._recheck)
        else:
            self._set(deadline)

    def _set(self, deadline: datetime) -> None:
        wait = (deadline - self._clock()).total_seconds() + LATE_BY
        self._set_in(max(0.0, wait), deadline)

    def _set_in(self, seconds: float, deadline: datetime | None = None) -> None:
        if self._held:
            return
        seconds = min(seconds, self._recheck)
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(seconds, self._fire)
        self._due_at = deadline if deadline is not None and seconds < self._recheck else None

    def _fire(self) -> None:
        self._timer, self._due_at = None, None
        if not self._running:
            self._spawn(self._round())

    async def _round(self) -> None:
        self._running = True
        try:
            now = self._clock()
            for poll in await self._polls.due_to_open(now):
                await self._open_scheduled(poll)
            for poll in await self._polls.due(now):
                await self._close_due(poll)
            self.rounds += 1
        except Exception:  # a database outage: the next round tries again
            log.warning("opening or closing due votes failed; retrying", exc_info=True)
            self._running = False
            self._set_in(RETRY_SECONDS)
            return
        self._running = False
        if self._timer is None:
            await self._arm()
