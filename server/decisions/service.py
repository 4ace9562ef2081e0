"""Proposals, votes and decision records: the lifecycle, the freeze, ballots and closing.

Permissions come from the policy through `RoomView.require`. Errors are the rooms package's
(`Denied`, `Conflict`, `InvalidInput`) plus `NotFound`, so the HTTP layer maps them as for
every room endpoint. Every change is audited and announced in the live room as a numbered
event. docs/decisions.md describes it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crdt.errors import UpdateError
from server.decisions import DecisionConflict, DecisionNotFound, InvalidDecisionInput
from server.decisions.methods import PollSpec
from server.decisions.records import build_record
from server.decisions.tally import InvalidBallot, InvalidSetup, Outcome
from server.documents.forks import Forks
from server.documents.registry import DocumentFrozen, DocumentRegistry
from server.live.room import LiveRooms
from server.live.tallies import BallotBatches, PushedTallies, PushedTally
from server.policy import Action, Role
from server.rooms.service import Rooms, RoomView
from storage.accounts import AccountStore, StoredUser
from storage.audit import AuditLog
from storage.decision_models import WRITABLE_STATES
from storage.discussion import DiscussionStore
from storage.polls import Cast, Closing, NewPoll, PollConflict, PollStore, StoredPoll
from storage.proposals import ProposalStore, StoredProposal
from storage.rooms import RoomStore

log = logging.getLogger(__name__)

VISIBILITIES = ("always", "after_vote", "after_close")
SETTINGS = ("visibility", "min_ballots", "allow_change")
MAX_VOTE_SECONDS = 90 * 24 * 3600
CLOSER_SECONDS = 1.0
VOTERS = frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT})
MODERATORS = frozenset({Role.OWNER, Role.MODERATOR})


def body_text(rendered: dict[str, object]) -> str:
    """The text a vote binds to: the `content` Y.Text, the convention of every Veche client."""
    value = rendered.get("content", "")
    return value if isinstance(value, str) else str(value)


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


@dataclass(frozen=True)
class VoteSettings:
    visibility: str
    min_ballots: int
    allow_change: bool

    @classmethod
    def parse(cls, body: dict[str, Any]) -> VoteSettings:
        visibility = body.get("visibility", "after_close")
        if visibility not in VISIBILITIES:
            raise InvalidDecisionInput(
                "visibility", f"visibility is one of {', '.join(VISIBILITIES)}"
            )
        minimum = body.get("min_ballots", 0)
        if isinstance(minimum, bool) or not isinstance(minimum, int) or not 0 <= minimum <= 10**6:
            raise InvalidDecisionInput("min_ballots", "min_ballots is a whole number ≥ 0")
        change = body.get("allow_change", True)
        if not isinstance(change, bool):
            raise InvalidDecisionInput("allow_change", "allow_change is true or false")
        return cls(visibility, minimum, change)


class Decisions:
    def __init__(
        self,
        *,
        rooms: Rooms,
        room_store: RoomStore,
        proposals: ProposalStore,
        polls: PollStore,
        documents: DocumentRegistry,
        discussion: DiscussionStore,
        live_rooms: LiveRooms,
        accounts: AccountStore,
        audit: AuditLog,
        forks: Forks,
        clock: Callable[[], datetime],
        secret_batches: BallotBatches | None = None,
    ) -> None:
        self.rooms, self.room_store, self.proposals, self.polls = (
            rooms,
            room_store,
            proposals,
            polls,
        )
        self.documents, self.discussion, self.live_rooms = documents, discussion, live_rooms
        self.accounts, self.audit, self.clock = accounts, audit, clock
        self.forks = forks
        self._closer: asyncio.Task[None] | None = None
        self._dirty: set[tuple[int, int]] = set()
        self._push: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # a secret vote's running tally is pushed in batches (server/live/tallies.py), and
        # the REST answer shows the last push, not the ballots since
        self._secret_batches = secret_batches or BallotBatches()
        self._pushed_tallies = PushedTallies()
        self._secret_timers: dict[tuple[int, int], asyncio.TimerHandle] = {}

    # -- lifecycle of the service ----------------------------------------------------------
    async def start(self) -> None:
        self._closer = asyncio.create_task(self._close_due_forever())

    async def stop(self) -> None:
        if self._push is not None:
            self._push.cancel()
        for timer in self._secret_timers.values():
            timer.cancel()
        self._secret_timers.clear()
        for task in [self._closer, *self._tasks]:
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *(t for t in [self._closer, *self._tasks] if t is not None), return_exceptions=True
        )

    # -- proposals -------------------------------------------------------------------------
    async def create_proposal(
        self, view: RoomView, body: dict[str, Any], address: str | None
    ) -> StoredProposal:
        user = self._actor(view, Action.CREATE_PROPOSAL)
        title = _title(body)
        name = body.get("document", f"proposal-{secrets.token_hex(6)}")
        await self.rooms.create_document(view, name, address)
        document = await self.rooms.documents.find_document(name)
        assert document is not None
        proposal = await self.proposals.create(
            view.room.id, document.id, title, user.id, self.clock()
        )
        await self._announce(
            view, user, "proposal.created", address, proposal=await self.proposal_json(proposal)
        )
        return proposal

    async def create_amendment(
        self, view: RoomView, base_id: int, body: dict[str, Any], address: str | None
    ) -> StoredProposal:
        """An amendment of a proposal in draft or discussion: a proposal whose body is a fork
        of the base's body as it is now, merged into the base when it is adopted."""
        base = await self.proposal(view, base_id)
        user = self._actor(view, Action.CREATE_PROPOSAL)
        if base.state not in WRITABLE_STATES:
            raise DecisionConflict("proposal-state", f"a {base.state} proposal takes no amendments")
        title = _title(body)
        name = body.get("document", f"amendment-{secrets.token_hex(6)}")
        await self.rooms.create_document(view, name, address)
        base_name = await self.proposals.document_name(base)
        fork = await self.forks.fork(
            base_name, base.document_id, name, author=user.name, user_id=user.id
        )
        amendment = await self.proposals.create(
            view.room.id, fork.document_id, title, user.id, self.clock(), amends_id=base.id
        )
        shown = await self.proposal_json(amendment)
        await self._announce(view, user, "proposal.created", address, proposal=shown)
        return amendment

    async def proposal(self, view: RoomView, proposal_id: int) -> StoredProposal:
        view.require(Action.READ_ROOM)
        proposal = await self.proposals.get(view.room.id, proposal_id)
        if proposal is None:
            raise DecisionNotFound("proposal", f"no proposal {proposal_id} in this room")
        return proposal

    async def proposal_json(self, proposal: StoredProposal) -> dict[str, Any]:
        return {
            "id": proposal.id,
            "title": proposal.title,
            "state": proposal.state,
            "amends": proposal.amends_id,
            "document": await self.proposals.document_name(proposal),
            "created_at": proposal.created_at.isoformat(),
            "state_changed_at": proposal.state_changed_at.isoformat(),
        }

    async def move(
        self, view: RoomView, proposal_id: int, to: Any, address: str | None
    ) -> StoredProposal:
        """draft → discussion, and draft or discussion → withdrawn (by its author or a
        moderator); voting is opened with `open_vote`, decided when the vote closes."""
        proposal = await self.proposal(view, proposal_id)
        allowed = {"discussion": ("draft",), "withdrawn": ("draft", "discussion")}
        if to not in allowed:
            raise InvalidDecisionInput(
                "state", "a proposal is moved to discussion or withdrawn here"
            )
        author = view.actor is not None and proposal.created_by == view.actor.id
        user = self._actor(view, Action.CREATE_PROPOSAL if author else Action.MANAGE_PROPOSALS)
        if not await self.proposals.move(proposal.id, allowed[to], to, self.clock()):
            raise DecisionConflict(
                "proposal-state", f"a {proposal.state} proposal cannot become {to}"
            )
        moved = await self.proposal(view, proposal_id)
        await self._announce(
            view, user, f"proposal.{to}", address, proposal=await self.proposal_json(moved)
        )
        return moved

    # -- votes -----------------------------------------------------------------------------
    async def open_vote(
        self, view: RoomView, proposal_id: int, body: dict[str, Any], address: str | None
    ) -> StoredPoll:
        """Open the proposal's vote: freeze its body and bind the vote to that version."""
        proposal = await self.proposal(view, proposal_id)
        user = self._actor(view, Action.MANAGE_PROPOSALS)
        if proposal.state != "discussion":
            raise DecisionConflict(
                "proposal-state", f"a vote opens on a proposal in discussion, not {proposal.state}"
            )
        if "opens_in" in body:
            raise InvalidDecisionInput(
                "opens_in", "a proposal's vote opens at once: its body freezes"
            )
        spec, settings, closes_at = self._vote_terms(
            body, method="yes_no_abstain", after=self.clock()
        )
        name = await self.proposals.document_name(proposal)
        frozen = await self.documents.freeze(name)
        text = body_text(frozen.rendered)
        poll = NewPoll(
            room_id=view.room.id,
            proposal_id=proposal.id,
            title=proposal.title,
            method=spec.method,
            options=list(spec.options),
            rules=_rules(body, settings),
            secret=bool(body.get("secret", False)),
            opens_at=self.clock(),
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
            self.documents.thaw(name)
            raise DecisionConflict(
                "proposal-state", "the proposal left discussion meanwhile"
            ) from None

    async def open_poll(
        self, view: RoomView, body: dict[str, Any], address: str | None
    ) -> StoredPoll:
        """A vote of its own (not on a proposal), in any method."""
        user = self._actor(view, Action.MANAGE_PROPOSALS)
        title = _title(body)
        opens_at = self.clock() + timedelta(seconds=_seconds(body, "opens_in", default=0))
        spec, settings, closes_at = self._vote_terms(
            body, method=body.get("method"), after=opens_at
        )
        poll = NewPoll(
            room_id=view.room.id,
            proposal_id=None,
            title=title,
            method=spec.method,
            options=list(spec.options),
            rules=_rules(body, settings),
            secret=bool(body.get("secret", False)),
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=user.id,
        )
        return await self._open(view, user, poll, address)

    def _vote_terms(
        self, body: dict[str, Any], *, method: Any, after: datetime
    ) -> tuple[PollSpec, VoteSettings, datetime | None]:
        """The method, rules and settings of a vote that opens at ``after``; `closes_in`
        counts from its opening."""
        if not isinstance(body.get("secret", False), bool):
            raise InvalidDecisionInput("secret", "secret is true or false")
        rules = body.get("rules", {})
        try:
            spec = PollSpec.parse(method, body.get("options"), rules)
        except InvalidSetup as exc:
            raise InvalidDecisionInput("rules", str(exc)) from None
        closes_at = None
        if body.get("closes_in") is not None:
            closes_at = after + timedelta(seconds=_seconds(body, "closes_in", default=0))
        return spec, VoteSettings.parse(body), closes_at

    async def _open(
        self, view: RoomView, user: StoredUser, poll: NewPoll, address: str | None
    ) -> StoredPoll:
        members = await self.room_store.members(view.room.id)
        electorate = [m.user_id for m in members if Role(m.role) in VOTERS]
        stored, event = await self.polls.open(
            poll, electorate, now=self.clock(), event=_opened_event
        )
        self.live_rooms.publish(event)
        await self.audit.record(
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

    async def poll(self, view: RoomView, poll_id: int) -> StoredPoll:
        view.require(Action.READ_ROOM)
        poll = await self.polls.get(view.room.id, poll_id)
        if poll is None:
            raise DecisionNotFound("poll", f"no poll {poll_id} in this room")
        return poll

    async def poll_json(self, view: RoomView, poll: StoredPoll) -> dict[str, Any]:
        """The poll as this caller may see it: the tally only as its visibility allows. An
        open secret vote shows its ballots and tally as of the last batched push to its live
        room (none before the first), so asking after each ballot singles out none of them."""
        voted = view.actor is not None and await self.polls.voted(poll.id, view.actor.id)
        choices: list[Any] = []
        if poll.secret and poll.state != "closed":
            pushed = self._pushed_tallies.get((poll.room_id, poll.id)) or PushedTally(0, None)
            cast, tally = pushed.ballots, pushed.tally
        else:
            (choices, cast), tally = await self.polls.ballots(poll.id), None
        shown: dict[str, Any] = {**_poll_summary(poll), "ballots": cast, "you_voted": voted}
        if self._may_see_tally(poll, cast, voted):
            shown["tally"] = tally if tally is not None else _count(poll, choices)
        return shown

    def _may_see_tally(self, poll: StoredPoll, cast: int, voted: bool) -> bool:
        if poll.state == "closed":
            return True
        if cast < int(poll.rules.get("min_ballots", 0)):
            return False
        visibility = poll.rules.get("visibility", "after_close")
        return visibility == "always" or (visibility == "after_vote" and voted)

    async def cast(self, view: RoomView, poll_id: int, body: dict[str, Any]) -> dict[str, Any]:
        poll = await self.poll(view, poll_id)
        user = self._actor(view, Action.VOTE)
        spec = PollSpec.parse(poll.method, poll.options, _tally_rules(poll.rules))
        try:
            choice = spec.check(body.get("choice"))
        except InvalidBallot as exc:
            raise InvalidDecisionInput("choice", exc.reason) from None
        receipt = body.get("receipt")
        if receipt is not None and (not poll.secret or not isinstance(receipt, str)):
            raise InvalidDecisionInput("receipt", "a receipt replaces a secret ballot")
        outcome, code = await self.polls.cast(
            poll.id, user.id, choice, self.clock(), receipt=receipt
        )
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
        self._tally_changed(view.room.id, poll.id, secret=poll.secret)
        answer: dict[str, Any] = {"outcome": outcome.value}
        if code is not None:
            answer["receipt"] = code
        return answer

    async def check_receipt(self, view: RoomView, poll_id: int, receipt: str) -> dict[str, Any]:
        poll = await self.poll(view, poll_id)
        choice = await self.polls.receipt(poll.id, receipt)
        if choice is None:
            raise DecisionNotFound("receipt", "no ballot of this vote has that receipt")
        return {"poll_id": poll.id, "counted": True, "choice": choice}

    async def close(self, view: RoomView, poll_id: int, address: str | None) -> dict[str, Any]:
        poll = await self.poll(view, poll_id)
        user = self._actor(view, Action.MANAGE_PROPOSALS)
        if poll.state == "scheduled":
            raise DecisionConflict("poll-not-open", "a vote that has not opened cannot close")
        record = await self.close_poll(poll, actor=user, address=address)
        if record is None:
            raise DecisionConflict("poll-closed", "the vote was closed already")
        return record

    async def close_poll(
        self, poll: StoredPoll, *, actor: StoredUser | None, address: str | None
    ) -> dict[str, Any] | None:
        """Close the poll (once, even with several processes) and write its decision record."""
        room = await self.room_store.get_room(poll.room_id)
        assert room is not None
        voters = await self.polls.electorate(poll.id)
        names = {u.id: u.name for u in (await self.accounts.users_by_id(voters)).values()}
        proposal = (
            None
            if poll.proposal_id is None
            else await self.proposals.get(room.id, poll.proposal_id)
        )

        def decide(closing: Closing) -> tuple[dict[str, Any], str | None, str, dict[str, Any]]:
            spec = PollSpec.parse(poll.method, poll.options, _tally_rules(poll.rules))
            tally = spec.count(closing.choices, closing.poll.electorate_size)
            record = build_record(room.slug, closing, tally, names, proposal)
            state = None
            if proposal is not None:
                state = "adopted" if tally.outcome is Outcome.ADOPTED else "rejected"
            return (
                record,
                state,
                "poll.closed",
                {"poll": _poll_summary(closing.poll), "decision": record},
            )

        done = await self.polls.close(poll.id, self.clock(), decide)
        if done is None:
            return None
        decision, event = done
        self._forget_secret((poll.room_id, poll.id))
        self.live_rooms.publish(event)
        adopted = decision.record["outcome"] == Outcome.ADOPTED.value
        if proposal is not None and proposal.amends_id is not None and adopted:
            await self._merge_amendment(room.id, proposal)
        await self.audit.record(
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
        fork = await self.forks.store.fork(amendment.document_id)
        assert fork is not None  # amendments are created as forks
        payload: dict[str, Any] = {"amendment": amendment.id, "base": amendment.amends_id}
        try:
            _, seq = await self.forks.merge(fork, author=None, user_id=None)
        except (DocumentFrozen, UpdateError) as exc:
            event_type, payload["reason"] = "amendment.merge_refused", str(exc)
        else:
            event_type, payload["seq"] = "amendment.merged", seq
        event = await self.discussion.append(
            room_id, event_type, payload, actor_user_id=None, now=self.clock()
        )
        self.live_rooms.publish(event)
        await self.audit.record(event_type, room_id=room_id, details=payload)

    async def open_scheduled(self, poll: StoredPoll) -> None:
        """Open a scheduled poll now, with the electorate of this moment (once)."""
        members = await self.room_store.members(poll.room_id)
        electorate = [m.user_id for m in members if Role(m.role) in VOTERS]
        started = await self.polls.start(poll, electorate, self.clock(), event=_opened_event)
        if started is not None:
            self.live_rooms.publish(started[1])
            await self.audit.record(
                "poll.opened", room_id=poll.room_id, details={"poll_id": poll.id, "scheduled": True}
            )

    async def _close_due_forever(self) -> None:
        while True:
            await asyncio.sleep(CLOSER_SECONDS)
            try:
                for poll in await self.polls.due_to_open(self.clock()):
                    await self.open_scheduled(poll)
                for poll in await self.polls.due(self.clock()):
                    await self.close_poll(poll, actor=None, address=None)
            except Exception:  # a database outage: the next round tries again
                log.warning("closing due votes failed; retrying", exc_info=True)

    # -- live tallies ----------------------------------------------------------------------
    def _tally_changed(self, room_id: int, poll_id: int, *, secret: bool = False) -> None:
        """Push the tally to the room soon; ballots arriving meanwhile share one push. A
        secret vote's waits for a batch of ballots (docs/secret-ballots.md)."""
        vote = (room_id, poll_id)
        if secret:
            wait = self._secret_batches.ballot(vote)
            if wait is None or vote in self._secret_timers:
                return  # held: too few ballots yet, or a push is already due
            if wait > 0:
                loop = asyncio.get_running_loop()
                self._secret_timers[vote] = loop.call_later(wait, self._release_secret, vote)
                return
            self._release_secret(vote)
            return
        self._dirty.add(vote)
        if self._push is None:
            loop = asyncio.get_running_loop()
            self._push = loop.call_later(0.05, self._spawn_push)

    def _release_secret(self, vote: tuple[int, int]) -> None:
        # counted as pushed from now (no second release before the push), and again when the
        # ballots are read (_push_tallies): the ballots cast in between are in this push, so
        # they must not count towards the next batch as well
        self._secret_timers.pop(vote, None)
        self._secret_batches.pushed(vote)
        self._tally_changed(*vote)

    def _forget_secret(self, vote: tuple[int, int]) -> None:
        timer = self._secret_timers.pop(vote, None)
        if timer is not None:
            timer.cancel()
        self._secret_batches.forget(vote)
        self._pushed_tallies.forget(vote)

    def _spawn_push(self) -> None:
        self._push = None
        dirty, self._dirty = self._dirty, set()
        task = asyncio.get_running_loop().create_task(self._push_tallies(dirty))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push_tallies(self, dirty: set[tuple[int, int]]) -> None:
        for room_id, poll_id in dirty:
            live_room = self.live_rooms.get(room_id)
            poll = await self.polls.get(room_id, poll_id)
            if poll is None or poll.state != "open":
                self._pushed_tallies.forget((room_id, poll_id))
                continue
            if live_room is None and not poll.secret:
                continue  # a secret vote's snapshot is kept for the REST answer all the same
            choices, cast = await self.polls.ballots(poll_id)
            if poll.secret:
                self._secret_batches.pushed((room_id, poll_id))
            message: dict[str, Any] = {"type": "poll.tally", "poll_id": poll_id, "ballots": cast}
            visibility = poll.rules.get("visibility", "after_close")
            shown = cast >= int(poll.rules.get("min_ballots", 0)) and visibility != "after_close"
            voted = (
                set(await self.polls.voters_who_voted(poll_id))
                if visibility == "after_vote"
                else set()
            )
            tally = _count(poll, choices) if shown else None
            if poll.secret:
                self._pushed_tallies.record((room_id, poll_id), PushedTally(cast, tally))
            if live_room is None:
                continue
            for connection in list(live_room.connections.values()):
                user = connection.user
                sees = tally is not None and (
                    visibility == "always" or (user is not None and user.id in voted)
                )
                connection.send({**message, "tally": tally} if sees else message)

    # -- decision records ------------------------------------------------------------------
    async def decisions(self, view: RoomView) -> list[dict[str, Any]]:
        view.require(Action.READ_ROOM)
        return [
            {**d.record, "sha256": d.record_sha256}
            for d in await self.polls.decisions(view.room.id)
        ]

    async def decision(self, view: RoomView, position: int) -> tuple[dict[str, Any], str]:
        for record in await self.decisions(view):
            if record["position"] == position:
                return record, record["sha256"]
        raise DecisionNotFound("decision", f"no decision {position} in this room")

    # -- helpers ---------------------------------------------------------------------------
    def _actor(self, view: RoomView, action: Action) -> StoredUser:
        view.require(action)
        assert view.actor is not None  # every action here is for members only
        return view.actor

    async def _announce(
        self, view: RoomView, user: StoredUser, type_: str, address: str | None, **payload: Any
    ) -> None:
        event = await self.discussion.append(
            view.room.id, type_, payload, actor_user_id=user.id, now=self.clock()
        )
        self.live_rooms.publish(event)
        details = {"proposal_id": payload["proposal"]["id"]} if "proposal" in payload else {}
        await self.audit.record(
            type_, actor_user_id=user.id, room_id=view.room.id, address=address, details=details
        )


def _opened_event(poll: StoredPoll) -> tuple[str, dict[str, Any]]:
    kind = "poll.scheduled" if poll.state == "scheduled" else "poll.opened"
    return kind, {"poll": _poll_summary(poll)}


def _seconds(body: dict[str, Any], field: str, *, default: float) -> float:
    value = body.get(field, default)
    if value == default and field not in body:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= MAX_VOTE_SECONDS
    ):
        raise InvalidDecisionInput(field, f"{field} is 0 to {MAX_VOTE_SECONDS} seconds")
    return float(value)


def _title(body: dict[str, Any]) -> str:
    title = body.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise InvalidDecisionInput("title", "title is a string of 1 to 200 characters")
    return title


def _rules(body: dict[str, Any], settings: VoteSettings) -> dict[str, Any]:
    return {
        **body.get("rules", {}),
        "visibility": settings.visibility,
        "min_ballots": settings.min_ballots,
        "allow_change": settings.allow_change,
    }


def _tally_rules(rules: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rules.items() if k not in SETTINGS}


def _count(poll: StoredPoll, choices: list[Any]) -> dict[str, Any]:
    spec = PollSpec.parse(poll.method, poll.options, _tally_rules(poll.rules))
    return spec.count(choices, poll.electorate_size).to_json()


def _poll_summary(poll: StoredPoll) -> dict[str, Any]:
    return {
        "id": poll.id,
        "proposal_id": poll.proposal_id,
        "title": poll.title,
        "method": poll.method,
        "options": poll.options,
        "rules": poll.rules,
        "secret": poll.secret,
        "state": poll.state,
        "opens_at": poll.opens_at.isoformat(),
        "closes_at": None if poll.closes_at is None else poll.closes_at.isoformat(),
        "closed_at": None if poll.closed_at is None else poll.closed_at.isoformat(),
        "electorate_size": poll.electorate_size,
        "body": None
        if poll.body_text_sha256 is None
        else {
            "seq": poll.body_seq,
            "state_vector": base64.b64encode(poll.body_state_vector or b"").decode(),
            "state_sha256": poll.body_state_sha256,
            "text_sha256": poll.body_text_sha256,
        },
    }
