"""Decisions: how a room decides — votes on proposals, amendments and polls, and their tallies.

The tallies (``tally``) are pure functions from the options and the ballots of a closed (or
running) vote to a frozen result with every figure a reader needs to check it: counts,
turnout, quorum, the rounds and transfers of instant-runoff and STV, Schulze's matrices. They
do no I/O and read no clock; the same input always gives the same output. docs/tallies.md
describes each method, its tie-breaks and the JSON form of its result.

Errors (kinds from ``server.errors``)::

    DecisionsError             root
     ├── DecisionNotFound      NotFound: no such proposal, poll, receipt or decision record
     ├── DecisionConflict      Conflict: the proposal's or the vote's state does not allow it
     └── InvalidDecisionInput  Invalid: a value that cannot be accepted; ``field`` names it
"""

from __future__ import annotations

from server.errors import Conflict, DomainError, Invalid, NotFound


class DecisionsError(DomainError):
    """Root of the errors of ``server.decisions``."""


class DecisionNotFound(DecisionsError, NotFound):
    def __init__(self, what: str, detail: str) -> None:
        super().__init__(detail, slug=f"{what}-not-found")
        self.what = what


class DecisionConflict(DecisionsError, Conflict):
    def __init__(self, slug: str, detail: str) -> None:
        super().__init__(detail, slug=slug)


class InvalidDecisionInput(DecisionsError, Invalid):
    """A value that cannot be accepted; ``field`` names it."""
