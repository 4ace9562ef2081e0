"""The decisions service: proposals, votes, ballots, closing and decision records.

One object for the rest of the server, holding focused parts that share a
`DecisionsContext`; callers use the parts: `proposals.py` (lifecycle), `votes.py` (opening
and the freeze),
`ballots.py`, `closing.py` (exactly-once closing, records, amendment merges),
`schedule.py` (a timer set to the next deadline) and `live_tally.py` (the running tally
pushed to live rooms). Commands in are typed (`commands.py`); answers are typed views
(`views.py`). Permissions come from the policy through `RoomView.require`; errors are the
package's (server/decisions/__init__.py) or the policy's. docs/decisions.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from server.decisions.ballots import Ballots
from server.decisions.closing import Closer
from server.decisions.context import DecisionsContext
from server.decisions.live_tally import LiveTally, Spawn
from server.decisions.proposals import Proposals
from server.decisions.schedule import RECHECK_SECONDS, Deadlines
from server.decisions.votes import Votes
from server.live.tallies import BallotBatches
from server.supervisor import TaskSupervisor
from storage.polls import PollStore, StoredPoll


class Decisions:
    def __init__(
        self,
        context: DecisionsContext,
        *,
        spawn: Spawn | None = None,
        secret_batches: BallotBatches | None = None,
        announce: Callable[[datetime], None] | None = None,
        recheck: float = RECHECK_SECONDS,
    ) -> None:
        """``announce`` tells the other nodes of a deadline set here, and ``recheck`` bounds
        how late a deadline whose announcement was lost is kept (several nodes)."""
        self.context = context
        self._own_tasks = TaskSupervisor() if spawn is None else None
        run = spawn or self._own_tasks.spawn  # type: ignore[union-attr]
        self.live_tally = LiveTally(context, run, secret_batches)
        self.proposals = Proposals(context)
        self.deadlines = Deadlines(
            context.polls,
            context.clock,
            open_scheduled=self._open_scheduled,
            close_due=self._close_due,
            spawn=run,
            recheck=recheck,
        )
        self.votes = Votes(context, self.proposals, self.live_tally, self._noted(announce))
        self.ballots = Ballots(context, self.votes, self.live_tally)
        self.closer = Closer(context, self.votes, self.live_tally)

    def _noted(self, announce: Callable[[datetime], None] | None) -> Callable[[datetime], None]:
        if announce is None:
            return self.deadlines.note

        def note(deadline: datetime) -> None:
            self.deadlines.note(deadline)
            announce(deadline)

        return note

    @property
    def polls(self) -> PollStore:
        return self.context.polls

    async def start(self) -> None:
        await self.deadlines.start()

    async def stop(self) -> None:
        self.deadlines.stop()
        self.live_tally.stop()
        if self._own_tasks is not None:
            await self._own_tasks.stop()

    async def _open_scheduled(self, poll: StoredPoll) -> None:
        await self.votes.open_scheduled(poll)

    async def _close_due(self, poll: StoredPoll) -> None:
        await self.closer.close_poll(poll, actor=None, address=None)
