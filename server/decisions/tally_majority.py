"""Yes / no / abstain: a motion adopted or rejected by a simple, absolute or qualified majority."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from server.decisions.tally_common import (
    InvalidBallot,
    InvalidSetup,
    Method,
    Outcome,
    Quorum,
    Turnout,
    exact,
    fraction_json,
    head_json,
    settle,
    turnout,
)


class Choice(enum.StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Base(enum.StrEnum):
    """What a majority is a fraction of."""

    VOTES_CAST = "votes_cast"
    """yes + no: an abstention is not a vote cast (Robert's Rules)."""
    BALLOTS = "ballots"
    """yes + no + abstain: everyone present and voting, so abstaining weighs like no."""
    ELECTORATE = "electorate"
    """everyone entitled to vote, whether they voted or not."""


@dataclass(frozen=True)
class Majority:
    """Adopted when yes > ``fraction`` × base (``more_than``), or yes ≥ ``fraction`` × base.

    Use :meth:`simple`, :meth:`absolute` or :meth:`qualified`. A motion with no yes at all is
    never adopted, whatever the rule.
    """

    fraction: Fraction
    base: Base
    more_than: bool

    def __post_init__(self) -> None:
        fraction = exact(self.fraction, "the majority fraction")
        if not 0 < fraction <= 1:
            raise InvalidSetup(f"a majority fraction must be above 0 and at most 1, not {fraction}")
        object.__setattr__(self, "fraction", fraction)
        object.__setattr__(self, "base", Base(self.base))

    @classmethod
    def simple(cls) -> Majority:
        """More yes than no (more than half of the votes cast); a tie is rejected."""
        return cls(Fraction(1, 2), Base.VOTES_CAST, more_than=True)

    @classmethod
    def absolute(cls) -> Majority:
        """More than half of the electorate voted yes."""
        return cls(Fraction(1, 2), Base.ELECTORATE, more_than=True)

    @classmethod
    def qualified(cls, fraction: Fraction, base: Base = Base.VOTES_CAST) -> Majority:
        """At least ``fraction`` (e.g. 2/3) of ``base`` voted yes."""
        return cls(fraction, base, more_than=False)

    def to_json(self) -> dict[str, object]:
        return {
            "fraction": fraction_json(self.fraction),
            "of": self.base.value,
            "comparison": "more_than" if self.more_than else "at_least",
        }


SIMPLE_MAJORITY = Majority.simple()


@dataclass(frozen=True)
class YesNoTally:
    method: Method
    turnout: Turnout
    outcome: Outcome
    majority: Majority
    yes: int
    no: int
    abstain: int
    threshold: Fraction
    """``fraction`` × base: yes must be above it (``more_than``) or reach it."""
    tied: bool
    """As many yes as no (for a simple majority, a tie rejects the motion)."""
    winners: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            **head_json(self.method, self.outcome, self.winners, self.turnout),
            "counts": {"yes": self.yes, "no": self.no, "abstain": self.abstain},
            "majority": self.majority.to_json(),
            "threshold": fraction_json(self.threshold),
            "tied": self.tied,
        }


def check_choice(ballot: object, index: int | None = None) -> Choice:
    """A yes/no/abstain ballot as a Choice; raises InvalidBallot for anything else."""
    if isinstance(ballot, str):
        try:
            return Choice(ballot)
        except ValueError:
            pass
    raise InvalidBallot(f"{ballot!r} is not one of yes, no, abstain", index)


def yes_no_abstain(
    ballots: Iterable[str],
    *,
    majority: Majority = SIMPLE_MAJORITY,
    electorate: int | None = None,
    quorum: Quorum | None = None,
) -> YesNoTally:
    """Count ``ballots`` (``"yes"``, ``"no"``, ``"abstain"``) under ``majority``.

    Abstentions count as cast for the turnout and the quorum. Raises InvalidBallot for a
    ballot that is none of the three, InvalidSetup for a majority of the electorate or a
    quorum share without the electorate.
    """
    choices = [check_choice(ballot, index) for index, ballot in enumerate(ballots)]
    yes = choices.count(Choice.YES)
    no = choices.count(Choice.NO)
    abstain = choices.count(Choice.ABSTAIN)
    seen = turnout(len(choices), electorate, quorum)
    if majority.base is Base.VOTES_CAST:
        base = yes + no
    elif majority.base is Base.BALLOTS:
        base = len(choices)
    elif electorate is None:
        raise InvalidSetup("a majority of the electorate needs the electorate")
    else:
        base = electorate
    threshold = majority.fraction * base
    passed = yes > threshold if majority.more_than else yes >= threshold
    outcome = Outcome.ADOPTED if passed and yes > 0 else Outcome.REJECTED
    outcome, _ = settle(seen, outcome, ())
    return YesNoTally(
        method=Method.YES_NO_ABSTAIN,
        turnout=seen,
        outcome=outcome,
        majority=majority,
        yes=yes,
        no=no,
        abstain=abstain,
        threshold=threshold,
        tied=yes == no,
    )
