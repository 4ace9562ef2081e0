"""Casting a ballot (or changing it, or replacing a secret one with its receipt) and checking
a receipt."""

from __future__ import annotations

from server.decisions import DecisionConflict, DecisionNotFound, InvalidDecisionInput
from server.decisions.commands import Ballot
from server.decisions.context import DecisionsContext
from server.decisions.live_tally import LiveTally
from server.decisions.rules import VoteRules
from server.decisions.tally import InvalidBallot
from server.decisions.views import CastOutcome, ReceiptCheck
from server.decisions.votes import Votes
from server.policy import Action
from server.rooms.service import RoomView
from storage.polls import Cast


class Ballots:
    def __init__(self, ctx: DecisionsContext, votes: Votes, tally: LiveTally) -> None:
        self._ctx, self._votes, self._tally = ctx, votes, tally

    async def cast(self, view: RoomView, poll_id: int, ballot: Ballot) -> CastOutcome:
        ctx = self._ctx
        poll = await self._votes.get(view, poll_id)
        user = ctx.actor(view, Action.VOTE)
        spec = VoteRules.stored(poll.rules).spec(poll.method, poll.options)
        try:
            choice = spec.check(ballot.choice)
        except InvalidBallot as exc:
            raise InvalidDecisionInput("choice", exc.reason) from None
        receipt = ballot.receipt
        if receipt is not None and not poll.secret:
            raise InvalidDecisionInput("receipt", "a receipt replaces a secret ballot")
        outcome, code = await ctx.polls.cast(poll.id, user.id, choice, ctx.clock(), receipt=receipt)
        if outcome is Cast.CLOSED:
            raise DecisionConflict("poll-closed", "the vote is closed")
        if outcome is Cast.NOT_OPEN:
            raise DecisionConflict(
                "poll-not-open", f"the vote opens at {poll.opens_at.isoformat()}"
            )
        if outcome is Cast.NOT_ELIGIBLE:
            raise DecisionConflict(
                "not-eligible", "you were not in the electorate when the vote opened"
            )
        if outcome is Cast.ALREADY_VOTED:
            detail = "you have voted" + (
                "; send your receipt to replace a secret ballot" if poll.secret else ""
            )
            raise DecisionConflict("already-voted", detail)
        if outcome is Cast.UNKNOWN_RECEIPT:
            raise InvalidDecisionInput("receipt", "no ballot of this vote has that receipt")
        self._tally.cast(view.room.id, poll.id, secret=poll.secret)
        answer = CastOutcome(outcome.value)
        if code is not None:
            answer.receipt = code
        return answer

    async def check_receipt(self, view: RoomView, poll_id: int, receipt: str) -> ReceiptCheck:
        poll = await self._votes.get(view, poll_id)
        choice = await self._ctx.polls.receipt(poll.id, receipt)
        if choice is None:
            raise DecisionNotFound("receipt", "no ballot of this vote has that receipt")
        return ReceiptCheck(poll.id, True, choice)
