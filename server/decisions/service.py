"""The decisions service: proposals, votes, ballots, closing and decision records.

One object for the rest of the server, built of focused parts that share a
`DecisionsContext`: `proposals.py` (lifecycle), `votes.py` (opening and the freeze),
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
from server.decisions.closing import Closer, Record
from server.decisions.commands import Ballot, NewPoll, NewProposal, ProposalMove, VoteTerms
from server.decisions.context import DecisionsContext
from server.decisions.live_tally import LiveTally, Spawn
from server.decisions.proposals import Proposals
from server.decisions.schedule import Deadlines
from server.decisions.views import CastOutcome, PollView, ProposalView, ReceiptCheck
from server.decisions.votes import Votes
from server.live.tallies import BallotBatches
from server.rooms.service import RoomView
from server.supervisor import TaskSupervisor
from storage.accounts import StoredUser
from storage.polls import PollStore, StoredPoll
from storage.proposals import ProposalStore, StoredProposal


class Decisions:
    def __init__(
        self,
        context: DecisionsContext,
        *,
        spawn: Spawn | None = None,
        secret_batches: BallotBatches | None = None,
    ) -> None:
        self.context = context
        self._own_tasks = TaskSupervisor() if spawn is None else None
        run = spawn or self._own_tasks.spawn  # type: ignore[union-attr]
        self.live_tally = LiveTally(context, run, secret_batches)
        self.proposal_steps = Proposals(context)
        self.deadlines = Deadlines(
            context.polls,
            context.clock,
            open_scheduled=self._open_scheduled,
            close_due=self._close_due,
            spawn=run,
        )
        self.votes = Votes(context, self.proposal_steps, self.live_tally, self.deadlines.note)
        self.ballots = Ballots(context, self.votes, self.live_tally)
        self.closer = Closer(context, self.votes, self.live_tally)

    @property
    def proposals(self) -> ProposalStore:
        return self.context.proposals

    @property
    def polls(self) -> PollStore:
        return self.context.polls

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.context.clock

    async def start(self) -> None:
        await self.deadlines.start()

    async def stop(self) -> None:
        self.deadlines.stop()
        self.live_tally.stop()
        if self._own_tasks is not None:
            await self._own_tasks.stop()

    # -- proposals -------------------------------------------------------------------------
    async def create_proposal(
        self, view: RoomView, new: NewProposal, address: str | None
    ) -> StoredProposal:
        return await self.proposal_steps.create(view, new, address)

    async def create_amendment(
        self, view: RoomView, base_id: int, new: NewProposal, address: str | None
    ) -> StoredProposal:
        return await self.proposal_steps.amend(view, base_id, new, address)

    async def proposal(self, view: RoomView, proposal_id: int) -> StoredProposal:
        return await self.proposal_steps.get(view, proposal_id)

    async def proposal_view(self, proposal: StoredProposal) -> ProposalView:
        return await self.proposal_steps.view(proposal)

    async def move(
        self, view: RoomView, proposal_id: int, asked: ProposalMove, address: str | None
    ) -> StoredProposal:
        return await self.proposal_steps.move(view, proposal_id, asked, address)

    # -- votes -----------------------------------------------------------------------------
    async def open_vote(
        self, view: RoomView, proposal_id: int, terms: VoteTerms, address: str | None
    ) -> StoredPoll:
        return await self.votes.open_vote(view, proposal_id, terms, address)

    async def open_poll(self, view: RoomView, new: NewPoll, address: str | None) -> StoredPoll:
        return await self.votes.open_poll(view, new, address)

    async def poll(self, view: RoomView, poll_id: int) -> StoredPoll:
        return await self.votes.get(view, poll_id)

    async def poll_view(self, view: RoomView, poll: StoredPoll) -> PollView:
        return await self.votes.view(view, poll)

    async def cast(self, view: RoomView, poll_id: int, ballot: Ballot) -> CastOutcome:
        return await self.ballots.cast(view, poll_id, ballot)

    async def check_receipt(self, view: RoomView, poll_id: int, receipt: str) -> ReceiptCheck:
        return await self.ballots.check_receipt(view, poll_id, receipt)

    async def close(self, view: RoomView, poll_id: int, address: str | None) -> Record:
        return await self.closer.close(view, poll_id, address)

    async def close_poll(
        self, poll: StoredPoll, *, actor: StoredUser | None, address: str | None
    ) -> Record | None:
        return await self.closer.close_poll(poll, actor=actor, address=address)

    async def _open_scheduled(self, poll: StoredPoll) -> None:
        await self.votes.open_scheduled(poll)

    async def _close_due(self, poll: StoredPoll) -> None:
        await self.closer.close_poll(poll, actor=None, address=None)

    # -- decision records ------------------------------------------------------------------
    async def decisions(self, view: RoomView) -> list[Record]:
        return await self.closer.records(view)

    async def decision(self, view: RoomView, position: int) -> tuple[Record, str]:
        return await self.closer.record(view, position)
