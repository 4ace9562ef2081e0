"""`/api/v1/rooms/{slug}/proposals|polls|decisions…` (docs/decisions.md)."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import PlainTextResponse, Response

from server.decisions.commands import Ballot, NewPoll, NewProposal, ProposalMove, VoteTerms
from server.decisions.records import markdown
from server.decisions.views import CastOutcome, PollView, ProposalView, ReceiptCheck
from server.http.endpoint import Api, Call, NoBody, NoQuery, Reply
from server.http.params import path_id

api = Api("decisions")
NO_STORE = {"Cache-Control": "no-store"}
READ_ERRORS = (401, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422)


class ProposalList(msgspec.Struct):
    proposals: list[ProposalView]


class ProposalWithPolls(ProposalView):
    polls: list[int]


class PollList(msgspec.Struct):
    polls: list[PollView]


class DecisionList(msgspec.Struct):
    decisions: list[dict[str, Any]]  # records as written (docs/decisions.md), with sha256


class ChainBreak(msgspec.Struct):
    position: int
    problem: str


class ChainCheck(msgspec.Struct):
    """The room's chain of decision records recomputed: every record's hash and its link to
    the previous one (docs/decisions.md)."""

    intact: bool
    records: int
    head_sha256: str | None  # the last record's hash: the one to publish
    first_break: int | None  # the position of the first broken record
    problems: list[ChainBreak]


@api.get("/rooms/{slug}/proposals", answer=ProposalList, errors=READ_ERRORS, auth="optional")
async def proposals(call: Call[NoBody, NoQuery]) -> ProposalList:
    """The room's proposals"""
    view, decisions = await call.room(), call.services.decisions
    found = await decisions.context.proposals.in_room(view.room.id)
    return ProposalList([await decisions.proposals.view(p) for p in found])


@api.post(
    "/rooms/{slug}/proposals",
    body=NewProposal,
    answer=ProposalView,
    status=201,
    errors=WRITE_ERRORS,
    auth="bearer",
)
async def create_proposal(call: Call[NewProposal, NoQuery]) -> ProposalView:
    """Create a proposal with its own document (as a draft)"""
    decisions = call.services.decisions
    proposal = await decisions.proposals.create(await call.room(), call.body, call.address)
    return await decisions.proposals.view(proposal)


@api.get(
    "/rooms/{slug}/proposals/{proposal_id}",
    answer=ProposalWithPolls,
    errors=READ_ERRORS,
    auth="optional",
    ids=("proposal_id",),
)
async def proposal(call: Call[NoBody, NoQuery]) -> ProposalWithPolls:
    """A proposal, with the ids of its votes"""
    view, decisions = await call.room(), call.services.decisions
    found = await decisions.proposals.get(view, call.path_id("proposal_id"))
    polls = [p.id for p in await decisions.polls.in_room(view.room.id) if p.proposal_id == found.id]
    shown = await decisions.proposals.view(found)
    return ProposalWithPolls(**msgspec.structs.asdict(shown), polls=polls)


@api.post(
    "/rooms/{slug}/proposals/{proposal_id}/amendments",
    body=NewProposal,
    answer=ProposalView,
    status=201,
    errors=WRITE_ERRORS,
    auth="bearer",
    ids=("proposal_id",),
)
async def create_amendment(call: Call[NewProposal, NoQuery]) -> ProposalView:
    """Amend a proposal in draft or discussion: a proposal on a fork of its body"""
    decisions = call.services.decisions
    amendment = await decisions.proposals.amend(
        await call.room(), call.path_id("proposal_id"), call.body, call.address
    )
    return await decisions.proposals.view(amendment)


@api.post(
    "/rooms/{slug}/proposals/{proposal_id}/state",
    body=ProposalMove,
    answer=ProposalView,
    errors=WRITE_ERRORS,
    auth="bearer",
    ids=("proposal_id",),
)
async def move(call: Call[ProposalMove, NoQuery]) -> ProposalView:
    """Move a proposal to discussion, or withdraw it"""
    decisions = call.services.decisions
    moved = await decisions.proposals.move(
        await call.room(), call.path_id("proposal_id"), call.body, call.address
    )
    return await decisions.proposals.view(moved)


@api.post(
    "/rooms/{slug}/proposals/{proposal_id}/vote",
    body=VoteTerms,
    answer=PollView,
    status=201,
    errors=WRITE_ERRORS,
    auth="bearer",
    ids=("proposal_id",),
)
async def open_vote(call: Call[VoteTerms, NoQuery]) -> PollView:
    """Open the proposal's vote: its body freezes and the vote is bound to that version"""
    view, decisions = await call.room(), call.services.decisions
    poll = await decisions.votes.open_vote(
        view, call.path_id("proposal_id"), call.body, call.address
    )
    return await decisions.votes.view(view, poll)


@api.get("/rooms/{slug}/polls", answer=PollList, errors=READ_ERRORS, auth="optional")
async def polls(call: Call[NoBody, NoQuery]) -> PollList:
    """The room's votes, each as the caller may see it"""
    view, decisions = await call.room(), call.services.decisions
    found = await decisions.polls.in_room(view.room.id)
    return PollList([await decisions.votes.view(view, p) for p in found])


@api.post(
    "/rooms/{slug}/polls",
    body=NewPoll,
    answer=PollView,
    status=201,
    errors=WRITE_ERRORS,
    auth="bearer",
)
async def open_poll(call: Call[NewPoll, NoQuery]) -> PollView:
    """Open a vote of its own, now or at a later time"""
    view, decisions = await call.room(), call.services.decisions
    poll = await decisions.votes.open_poll(view, call.body, call.address)
    return await decisions.votes.view(view, poll)


@api.get(
    "/rooms/{slug}/polls/{poll_id}",
    answer=PollView,
    errors=READ_ERRORS,
    auth="optional",
    ids=("poll_id",),
)
async def poll(call: Call[NoBody, NoQuery]) -> PollView:
    """A vote as the caller may see it (the tally as its visibility allows)"""
    view, decisions = await call.room(), call.services.decisions
    return await decisions.votes.view(
        view, await decisions.votes.get(view, call.path_id("poll_id"))
    )


@api.post(
    "/rooms/{slug}/polls/{poll_id}/ballots",
    body=Ballot,
    answer=CastOutcome,
    status=201,
    also=(200,),
    errors=WRITE_ERRORS,
    auth="bearer",
    ids=("poll_id",),
)
async def cast(call: Call[Ballot, NoQuery]) -> Reply:
    """Cast a ballot (201), or change it (200)"""
    ballots = call.services.decisions.ballots
    slug, poll_id = call.path("slug"), call.path_id("poll_id")
    answer = await ballots.cast_in(slug, await call.caller(), poll_id, call.body)
    return Reply(answer, status=201 if answer.outcome == "cast" else 200, headers=NO_STORE)


@api.get(
    "/rooms/{slug}/polls/{poll_id}/receipts/{receipt}",
    answer=ReceiptCheck,
    errors=READ_ERRORS,
    auth="optional",
    ids=("poll_id",),
)
async def receipt(call: Call[NoBody, NoQuery]) -> Reply:
    """Check that a secret ballot was counted, by its receipt"""
    answer = await call.services.decisions.ballots.check_receipt(
        await call.room(), call.path_id("poll_id"), call.path("receipt")
    )
    return Reply(answer, headers=NO_STORE)


@api.post(
    "/rooms/{slug}/polls/{poll_id}/close",
    answer=dict[str, Any],
    errors=(401, 403, 404, 409),
    auth="bearer",
    ids=("poll_id",),
)
async def close(call: Call[NoBody, NoQuery]) -> dict[str, Any]:
    """Close a vote now: its decision record (docs/decisions.md)"""
    return await call.services.decisions.closer.close(
        await call.room(), call.path_id("poll_id"), call.address
    )


@api.get("/rooms/{slug}/decisions", answer=DecisionList, errors=READ_ERRORS, auth="optional")
async def decisions(call: Call[NoBody, NoQuery]) -> DecisionList:
    """The room's decision records, in order, each with its SHA-256"""
    return DecisionList(await call.services.decisions.closer.records(await call.room()))


@api.get("/rooms/{slug}/decision-chain", answer=ChainCheck, errors=READ_ERRORS, auth="optional")
async def decision_chain(call: Call[NoBody, NoQuery]) -> ChainCheck:
    """Whether the room's chain of decision records verifies, and where it breaks if not"""
    count, head, problems = await call.services.decisions.closer.chain(await call.room())
    breaks = [ChainBreak(p.position, p.problem) for p in problems]
    first = min((b.position for b in breaks), default=None)
    return ChainCheck(not breaks, count, head, first, breaks)


@api.get(
    "/rooms/{slug}/decisions/{position}",
    answer=dict[str, Any],
    errors=READ_ERRORS,
    auth="optional",
    media=("text/markdown",),
    description="`{position}.md` answers the record as Markdown",
)
async def decision(call: Call[NoBody, NoQuery]) -> dict[str, Any] | Response:
    """One decision record, as JSON or (with `.md`) as Markdown"""
    raw = call.path("position")
    position = path_id(raw.removesuffix(".md"))
    record, digest = await call.services.decisions.closer.record(await call.room(), position)
    if raw.endswith(".md"):
        return PlainTextResponse(markdown(record, digest), media_type="text/markdown")
    return record


routes = api.routes
