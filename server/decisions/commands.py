"""What a caller asks of the decisions service, as typed commands. Their constraints are
the API's (server/http/decisions.py declares them as request bodies); what depends on the
method (options, rules) is checked by `PollSpec.parse`, the one place that knows methods."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from server.rooms.commands import DocumentName, Title

MAX_VOTE_SECONDS = 90 * 24 * 3600
MAX_MIN_BALLOTS = 10**6

Seconds = Annotated[
    float, msgspec.Meta(gt=0, le=MAX_VOTE_SECONDS, description="seconds, up to 90 days")
]
Visibility = Literal["always", "after_vote", "after_close"]


class NewProposal(msgspec.Struct, kw_only=True):
    title: Title
    document: DocumentName | None = None  # a generated name when absent


class ProposalMove(msgspec.Struct, kw_only=True):
    """draft → discussion, or draft/discussion → withdrawn."""

    state: Literal["discussion", "withdrawn"]


class VoteTerms(msgspec.Struct, kw_only=True):
    """How a proposal's vote runs: it opens at once (its body freezes) with yes/no/abstain."""

    closes_in: Seconds | None = None  # counted from the opening; none: closed by hand
    secret: bool = False
    visibility: Visibility = "after_close"
    min_ballots: Annotated[int, msgspec.Meta(ge=0, le=MAX_MIN_BALLOTS)] = 0
    allow_change: bool = True
    options: list[Any] | None = None
    rules: dict[str, Any] = msgspec.field(default_factory=dict)
    opens_in: Seconds | msgspec.UnsetType = msgspec.UNSET  # refused: see `Votes.open_vote`


class NewPoll(VoteTerms, kw_only=True):
    """A vote of its own, in any method, opening now or after ``opens_in`` seconds."""

    title: Title
    method: str


class Ballot(msgspec.Struct, kw_only=True):
    choice: Any = None  # its form depends on the method (docs/tallies.md)
    receipt: str | None = None  # replaces the secret ballot cast with it
