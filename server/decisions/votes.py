"""Opening votes: a proposal's (its body frozen and the vote bound to that exact version) or
one of its own, at once or at a scheduled time; and reading a vote as a caller may see it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec

from server.decisions import DecisionConflict, DecisionNotFound, InvalidDecisionInput
from server.decisions.commands import NewPoll, VoteTerms
from server.decisions.context import DecisionsContext, body_text, sha256
from server.decisions.live_tally import LiveTally, count
from server.decisions.methods import PollSpec
from server.decisions.proposals import Proposals
from server.decisions.rules import VoteRules
from server.decisions.tally import InvalidSetup
from server.decisions.views import PollView, as_json, poll_summary, poll_view
from server.live.tallies import PushedTally
from server.policy import Action
from server.rooms.service import RoomView
from storage.accounts import StoredUser
from storage.polls import NewPoll as NewStoredPoll
from storage.polls import PollConflict, StoredPoll

Deadline = Callable[[datetime], None]  # told of each new opening or closing time


def opened_event(poll: StoredPoll) -> tuple[str, dict[str, Any]]:
    kind = "poll.scheduled" if poll.state == "scheduled" else "poll.opened"
    return kind, {"poll": as_json(poll_summary(poll))}


class Votes:
    def __init__(
        self, ctx: DecisionsContext, proposals: Proposals, tally: LiveTally, deadline: Deadline
    ) -> None:
        self._ctx, self._proposals = ctx, proposals
        self._tally, self._deadline = tally, deadline

    async def get(self, view: RoomView, poll_id: int) -> StoredPoll:
        view.require(Action.READ_ROOM)
        poll = await self._ctx.polls.get(view.room.id, poll_id)
        if poll is None:
            raise DecisionNotFound("poll", f"no poll {poll_id} in this room")
        return poll

    async def view(self, view: RoomView, poll: StoredPoll) -> PollView:
        """The poll as this caller may see it: the tally only as its visibility allows. An
        open secret vote shows its ballots and tally as of the last batched push to its live
        room (none before the first), so asking after each ballot singles out none of them."""
        polls = self._ctx.polls
        voted = view.actor is not None and await polls.voted(poll.id, view.actor.id)
        choices: list[Any] = []
        if poll.secret and poll.state != "closed":
            pushed = self._tally.pushed.get((poll.room_id, poll.id)) or PushedTally(0, None)
            cast, tally = pushed.ballots, pushed.tally
        else:
            (choices, cast), tally = await polls.ballots(poll.id), None
        rules = VoteRules.stored(poll.rules)
        if not rules.tally_shown(closed=poll.state == "closed", ballots=cast, voted=voted):
            return poll_view(poll, cast, voted, None)
        return poll_view(poll, cast, voted, tally if tally is not None else count(poll, choices))

    async def open_vote(
        self, view: RoomView, proposal_id: int, terms: VoteTerms, address: str | None
    ) -> StoredPoll:
        """Open the proposal's vote: freeze its body and bind the vote to that version."""
        ctx = self._ctx
        proposal = await self._proposals.get(view, proposal_id)
        user = ctx.actor(view, Action.MANAGE_PROPOSALS)
        if proposal.state != "discussion":
            raise DecisionConflict(
                "proposal-state", f"a vote opens on a proposal in discussion, not {proposal.state}"
            )
        if terms.opens_in is not msgspec.UNSET:
            raise InvalidDecisionInput(
                "opens_in", "a proposal's vote opens at once: its body freezes"
            )
        now = ctx.clock()
        spec, rules, closes_at = _terms(terms, "yes_no_abstain", now)
        name = await ctx.proposals.document_name(proposal)
        frozen = await ctx.documents.freeze(name)
        text = body_text(frozen.rendered)
        poll = NewStoredPoll(
            room_id=view.room.id,
            proposal_id=proposal.id,
            title=proposal.title,
            method=spec.method,
            options=list(spec.options),
            rules=rules.to_json(),
            secret=terms.secret,
            opens_at=ctx.clock(),
            closes_at=closes_at,
            created_by=user.id,
            body_seq=frozen.seq,
            body_state_vector=frozen.state_vector,
            body_state_sha256=sha256(frozen.state),
            body_text_sha256=sha256(text),
            body_text=text,
        )
        try:
            return await self._open(view, user, poll, address)
        except PollConflict:
            ctx.documents.thaw(name)
            raise DecisionConflict(
                "proposal-state", "the proposal left discussion meanwhile"
            ) from None

    async def open_poll(self, view: RoomView, new: NewPoll, address: str | None) -> StoredPoll:
        """A vote of its own (not on a proposal), in any method."""
        ctx = self._ctx
        user = ctx.actor(view, Action.MANAGE_PROPOSALS)
        opens_in = 0.0 if isinstance(new.opens_in, msgspec.UnsetType) else new.opens_in
        opens_at = ctx.clock() + timedelta(seconds=opens_in)
        spec, rules, closes_at = _terms(new, new.method, opens_at)
        poll = NewStoredPoll(
            room_id=view.room.id,
            proposal_id=None,
            title=new.title,
            method=spec.method,
            options=list(spec.options),
            rules=rules.to_json(),
            secret=new.secret,
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=user.id,
        )
        return await self._open(view, user, poll, address)

    async def _open(
        self, view: RoomView, user: StoredUser, poll: NewStoredPoll, address: str | None
    ) -> StoredPoll:
        ctx = self._ctx
        electorate = await ctx.electorate(view.room.id)
        stored, event = await ctx.polls.open(poll, electorate, now=ctx.clock(), event=opened_event)
        ctx.live_rooms.publish(event)
        for deadline in (
            stored.opens_at if stored.state == "scheduled" else None,
            stored.closes_at,
        ):
            if deadline is not None:
                self._deadline(deadline)
        await ctx.audit.record(
            "poll.opened",
            actor_user_id=user.id,
            room_id=view.room.id,
            address=address,
            details={
                "poll_id": stored.id,
                "proposal_id": stored.proposal_id,
                "method": stored.method,
            },
        )
        return stored

    async def open_scheduled(self, poll: StoredPoll) -> None:
        """Open a scheduled poll now, with the electorate of this moment (once)."""
        ctx = self._ctx
        electorate = await ctx.electorate(poll.room_id)
        started = await ctx.polls.start(poll, electorate, ctx.clock(), event=opened_event)
        if started is not None:
            ctx.live_rooms.publish(started[1])
            await ctx.audit.record(
                "poll.opened", room_id=poll.room_id, details={"poll_id": poll.id, "scheduled": True}
            )


def _terms(
    terms: VoteTerms, method: str, opens_at: datetime
) -> tuple[PollSpec, VoteRules, datetime | None]:
    """The method, rules and closing time of a vote that opens at ``opens_at``;
    `closes_in` counts from its opening."""
    rules = VoteRules.of(terms)
    try:
        spec = rules.spec(method, terms.options)
    except InvalidSetup as exc:
        raise InvalidDecisionInput("rules", str(exc)) from None
    closes_at = None if terms.closes_in is None else opens_at + timedelta(seconds=terms.closes_in)
    return spec, rules, closes_at
