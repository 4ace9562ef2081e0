"""What the decisions service answers with: typed values that the HTTP edge writes as they
are and the live room announces as JSON (`msgspec.to_builtins`)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import msgspec

from storage.polls import StoredPoll
from storage.proposals import StoredProposal

Time = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]


class ProposalView(msgspec.Struct):
    id: int
    title: str
    state: str
    amends: int | None
    document: str
    created_at: Time
    state_changed_at: Time
    author: str | None  # the author's user name: they may move their own proposal


class BodyBinding(msgspec.Struct):
    """The exact version of a proposal's body that its vote is bound to."""

    seq: int | None
    state_vector: str  # base64
    state_sha256: str | None
    text_sha256: str | None


class PollSummary(msgspec.Struct):
    id: int
    proposal_id: int | None
    title: str
    method: str
    options: list[Any]
    rules: dict[str, Any]
    secret: bool
    state: str
    opens_at: Time
    closes_at: Time | None
    closed_at: Time | None
    electorate_size: int
    body: BodyBinding | None


class PollView(PollSummary):
    """A poll as one caller may see it: the tally only when its visibility allows."""

    ballots: int
    you_voted: bool
    tally: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class CastOutcome(msgspec.Struct):
    outcome: str  # cast | changed | replaced
    receipt: str | msgspec.UnsetType = msgspec.UNSET  # a secret ballot's, shown once


class ReceiptCheck(msgspec.Struct):
    poll_id: int
    counted: bool
    choice: Any


def proposal_view(proposal: StoredProposal, document: str, author: str | None) -> ProposalView:
    return ProposalView(
        proposal.id,
        proposal.title,
        proposal.state,
        proposal.amends_id,
        document,
        proposal.created_at.isoformat(),
        proposal.state_changed_at.isoformat(),
        author,
    )


def poll_summary(poll: StoredPoll) -> PollSummary:
    return PollSummary(**_summary_fields(poll))


def poll_view(
    poll: StoredPoll, ballots: int, voted: bool, tally: dict[str, Any] | None
) -> PollView:
    shown = PollView(**_summary_fields(poll), ballots=ballots, you_voted=voted)
    if tally is not None:
        shown.tally = tally
    return shown


def _summary_fields(poll: StoredPoll) -> dict[str, Any]:
    body = None
    if poll.body_text_sha256 is not None:
        body = BodyBinding(
            poll.body_seq,
            base64.b64encode(poll.body_state_vector or b"").decode(),
            poll.body_state_sha256,
            poll.body_text_sha256,
        )
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
        "body": body,
    }


def as_json(value: msgspec.Struct) -> dict[str, Any]:
    """A view as the JSON object the live room announces."""
    shown: dict[str, Any] = msgspec.to_builtins(value)
    return shown
