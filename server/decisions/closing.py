"""Closing a vote (exactly once, whichever process or node tries), its decision record,
the proposal's outcome, and merging an adopted amendment into its base."""

from __future__ import annotations

from typing import Any

from crdt.errors import UpdateError
from server.decisions import DecisionConflict, DecisionNotFound
from server.decisions.context import DecisionsContext
from server.decisions.live_tally import LiveTally
from server.decisions.records import ChainProblem, build_record, verify
from server.decisions.rules import VoteRules
from server.decisions.tally import Outcome
from server.decisions.views import as_json, poll_summary
from server.decisions.votes import Votes
from server.documents.registry import DocumentFrozen
from server.policy import Action
from server.rooms.service import RoomView
from storage.accounts import StoredUser
from storage.polls import Closing, StoredPoll
from storage.proposals import StoredProposal

Record = dict[str, Any]  # a decision record: a JSON document, hashed as it is


class Closer:
    def __init__(self, ctx: DecisionsContext, votes: Votes, tally: LiveTally) -> None:
        self._ctx, self._votes, self._tally = ctx, votes, tally

    async def close(self, view: RoomView, poll_id: int, address: str | None) -> Record:
        poll = await self._votes.get(view, poll_id)
        user = self._ctx.actor(view, Action.MANAGE_PROPOSALS)
        if poll.state == "scheduled":
            raise DecisionConflict("poll-not-open", "a vote that has not opened cannot close")
        record = await self.close_poll(poll, actor=user, address=address)
        if record is None:
            raise DecisionConflict("poll-closed", "the vote was closed already")
        return record

    async def close_poll(
        self, poll: StoredPoll, *, actor: StoredUser | None, address: str | None
    ) -> Record | None:
        """Close the poll (once, even with several processes) and write its decision record."""
        ctx = self._ctx
        room = await ctx.room_store.get_room(poll.room_id)
        assert room is not None
        voters = await ctx.polls.electorate(poll.id)
        names = {u.id: u.name for u in (await ctx.accounts.users_by_id(voters)).values()}
        proposal = (
            None if poll.proposal_id is None else await ctx.proposals.get(room.id, poll.proposal_id)
        )

        def decide(closing: Closing) -> tuple[Record, str | None, str, Record]:
            spec = VoteRules.stored(poll.rules).spec(poll.method, poll.options)
            tally = spec.count(closing.choices, closing.poll.electorate_size)
            record = build_record(room.slug, closing, tally, names, proposal)
            state = None
            if proposal is not None:
                state = "adopted" if tally.outcome is Outcome.ADOPTED else "rejected"
            event = {"poll": as_json(poll_summary(closing.poll)), "decision": record}
            return record, state, "poll.closed", event

        done = await ctx.polls.close(poll.id, ctx.clock(), decide)
        if done is None:
            return None
        decision, event = done
        self._tally.forget((poll.room_id, poll.id))
        ctx.live_rooms.publish(event)
        adopted = decision.record["outcome"] == Outcome.ADOPTED.value
        if proposal is not None and proposal.amends_id is not None and adopted:
            await self._merge_amendment(room.id, proposal)
        await ctx.audit.record(
            "poll.closed",
            actor_user_id=None if actor is None else actor.id,
            room_id=room.id,
            address=address,
            details={
                "poll_id": poll.id,
                "decision": decision.position,
                "sha256": decision.record_sha256,
            },
        )
        return decision.record

    async def _merge_amendment(self, room_id: int, amendment: StoredProposal) -> None:
        """Merge an adopted amendment into its base (recorded in the base's history with
        origin ``merge``); refused, and announced so, when the base is itself under a vote."""
        ctx = self._ctx
        fork = await ctx.forks.store.fork(amendment.document_id)
        assert fork is not None  # amendments are created as forks
        payload: dict[str, Any] = {"amendment": amendment.id, "base": amendment.amends_id}
        try:
            _, seq = await ctx.forks.merge(fork, author=None, user_id=None)
        except (DocumentFrozen, UpdateError) as exc:
            event_type, payload["reason"] = "amendment.merge_refused", str(exc)
        else:
            event_type, payload["seq"] = "amendment.merged", seq
        event = await ctx.discussion.append(
            room_id, event_type, payload, actor_user_id=None, now=ctx.clock()
        )
        ctx.live_rooms.publish(event)
        await ctx.audit.record(event_type, room_id=room_id, details=payload)

    async def records(self, view: RoomView) -> list[Record]:
        """The room's decision records, in order, each with its SHA-256."""
        view.require(Action.READ_ROOM)
        return [
            {**d.record, "sha256": d.record_sha256}
            for d in await self._ctx.polls.decisions(view.room.id)
        ]

    async def chain(self, view: RoomView) -> tuple[int, str | None, list[ChainProblem]]:
        """The room's chain checked as `veche decisions verify` checks it: how many records,
        the last one's hash, and every break (none when intact)."""
        view.require(Action.READ_ROOM)
        stored = await self._ctx.polls.decisions(view.room.id)
        head = stored[-1].record_sha256 if stored else None
        return len(stored), head, verify(stored)

    async def record(self, view: RoomView, position: int) -> tuple[Record, str]:
        for record in await self.records(view):
            if record["position"] == position:
                return record, record["sha256"]
        raise DecisionNotFound("decision", f"no decision {position} in this room")
