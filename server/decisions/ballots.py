"""Casting a ballot (or changing it, or replacing a secret one with its receipt) and checking
a receipt."""

from __future__ import annotations

from typing import Any

from server.decisions import DecisionConflict, DecisionNotFound, InvalidDecisionInput
from server.decisions.commands import Ballot
from server.decisions.context import DecisionsContext
from server.decisions.live_tally import LiveTally
from server.decisions.rules import VoteRules
from server.decisions.tally import InvalidBallot
from server.decisions.views import CastOutcome, ReceiptCheck
from server.decisions.votes import Votes
from server.policy import Action
from server.rooms.service import RoomView, room_view
from storage.accounts import StoredUser
from storage.polls import Cast, StoredPoll
from storage.rooms import StoredRoom

NO_VOTER = -1  # the user id of a caller without one: no row has it


class Ballots:
    def __init__(self, ctx: DecisionsContext, votes: Votes, tally: LiveTally) -> None:
        self._ctx, self._votes, self._tally = ctx, votes, tally

    async def cast(self, view: RoomView, poll_id: int, ballot: Ballot) -> CastOutcome:
        """Cast a ballot in a room the caller has looked at already (see `cast_in`)."""
        return await self.cast_in(view.room.slug, view.actor, poll_id, ballot)

    async def cast_in(
        self, slug: str, actor: StoredUser | None, poll_id: int, ballot: Ballot
    ) -> CastOutcome:
        """Cast a ballot of the room called ``slug``. The room, the caller's role and the
        poll are read in the cast's own transaction (on SQLite, two calls to the database's
        thread for the whole ballot); the checks run in the order they always have: the room
        (404), the poll (404), the right to vote (401/403), the choice and the receipt (422),
        then what the stored poll says (409). An anonymous caller, who is refused whatever
        the poll, is refused with reads alone: without taking the write lock."""
        ctx = self._ctx
        receipt = ballot.receipt
        if actor is None:
            view = await ctx.rooms.view(slug, None)
            await self._votes.get(view, poll_id)
            ctx.actor(view, Action.VOTE)  # refuses: voting is for members
        seen: list[RoomView] = []

        def admit(found: tuple[StoredRoom, str | None] | None, poll: StoredPoll | None) -> Any:
            view = room_view(slug, found, actor)
            view.require(Action.READ_ROOM)
            if poll is None:
                raise DecisionNotFound("poll", f"no poll {poll_id} in this room")
            ctx.actor(view, Action.VOTE)
            spec = VoteRules.stored(poll.rules).spec(poll.method, poll.options)
            try:
                choice = spec.check(ballot.choice)
            except InvalidBallot as exc:
                raise InvalidDecisionInput("choice", exc.reason) from None
            if receipt is not None and not poll.secret:
                raise InvalidDecisionInput("receipt", "a receipt replaces a secret ballot")
            seen.append(view)
            return choice

        voter = NO_VOTER if actor is None else actor.id
        poll, outcome, code = await ctx.polls.cast(
            slug, poll_id, voter, admit, ctx.clock(), receipt=receipt
        )
        room_id = seen[-1].room.id
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
        self._tally.cast(room_id, poll.id, secret=poll.secret)
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
