"""Counted methods: single choice (plurality), approval and score (0–5, by mean or median)."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from server.decisions.tally_common import (
    InvalidBallot,
    Method,
    Outcome,
    Quorum,
    TieBreak,
    Turnout,
    check_options,
    distinct_options,
    fraction_json,
    head_json,
    settle,
    turnout,
)

SCORES = range(6)
"""A score is a whole number from 0 to 5."""


@dataclass(frozen=True)
class CountTally:
    """Single choice or approval: how many ballots chose (or approved) each option."""

    method: Method
    turnout: Turnout
    outcome: Outcome
    winners: tuple[str, ...]
    counts: Mapping[str, int]
    """Per option, in option order."""
    blank: int
    """Ballots that chose nothing: counted in the turnout, not for any option."""
    tied: tuple[str, ...]
    """The options level for first when the outcome is a tie; empty otherwise."""

    def to_json(self) -> dict[str, object]:
        return {
            **head_json(self.method, self.outcome, self.winners, self.turnout),
            "counts": dict(self.counts),
            "blank": self.blank,
            "tied": list(self.tied),
        }


def _most(
    method: Method,
    options: Sequence[str],
    counts: dict[str, int],
    blank: int,
    seen: Turnout,
) -> CountTally:
    top = max(counts.values())
    first = tuple(option for option in options if counts[option] == top)
    tied: tuple[str, ...] = ()
    winners: tuple[str, ...] = ()
    if top == 0:
        outcome = Outcome.NO_VOTES
    elif len(first) == 1:
        outcome, winners = Outcome.DECIDED, first
    else:
        outcome, tied = Outcome.TIE, first
    outcome, winners = settle(seen, outcome, winners)
    return CountTally(method, seen, outcome, winners, counts, blank, tied)


def check_single(options: Collection[str], ballot: object, index: int | None = None) -> str | None:
    """A single-choice ballot: an option id, or None for a blank ballot."""
    if ballot is None:
        return None
    if not isinstance(ballot, str):
        raise InvalidBallot(
            f"a single-choice ballot is an option id or null, not {ballot!r}", index
        )
    if ballot not in options:
        raise InvalidBallot(f"{ballot!r} is not an option", index)
    return ballot


def single_choice(
    options: Sequence[str],
    ballots: Iterable[str | None],
    *,
    electorate: int | None = None,
    quorum: Quorum | None = None,
) -> CountTally:
    """Plurality: the option with the most votes wins; a tie for first is a tie, no winner.

    A ballot is one option id, or None (blank). Raises InvalidBallot for an unknown option.
    """
    order = check_options(options)
    known = frozenset(order)
    chosen = [check_single(known, ballot, index) for index, ballot in enumerate(ballots)]
    counts = dict.fromkeys(order, 0)
    for choice in chosen:
        if choice is not None:
            counts[choice] += 1
    blank = chosen.count(None)
    return _most(
        Method.SINGLE_CHOICE, order, counts, blank, turnout(len(chosen), electorate, quorum)
    )


def check_approval(
    options: Collection[str], ballot: object, index: int | None = None
) -> frozenset[str]:
    """An approval ballot: the set of approved option ids (empty for a blank ballot)."""
    if isinstance(ballot, str | bytes | Mapping) or not isinstance(ballot, Collection):
        raise InvalidBallot(f"an approval ballot is a list of option ids, not {ballot!r}", index)
    return frozenset(distinct_options(options, ballot, index, "approved"))


def approval(
    options: Sequence[str],
    ballots: Iterable[Collection[str]],
    *,
    electorate: int | None = None,
    quorum: Quorum | None = None,
) -> CountTally:
    """Approval: the option approved on the most ballots wins; a tie for first is a tie.

    A ballot is a collection of distinct option ids; an empty one is blank.
    """
    order = check_options(options)
    known = frozenset(order)
    sets = [check_approval(known, ballot, index) for index, ballot in enumerate(ballots)]
    counts = dict.fromkeys(order, 0)
    for approved in sets:
        for option in approved:
            counts[option] += 1
    blank = sum(1 for approved in sets if not approved)
    return _most(Method.APPROVAL, order, counts, blank, turnout(len(sets), electorate, quorum))


class ScoreRule(enum.StrEnum):
    MEAN = "mean"
    MEDIAN = "median"


@dataclass(frozen=True)
class ScoreSummary:
    """One option's scores over the non-blank ballots (an option left unscored got 0)."""

    total: int
    mean: Fraction | None
    median: Fraction | None
    """The middle score; with an even number of ballots, the mean of the two middle ones."""
    distribution: tuple[int, ...]
    """How many ballots gave 0, 1, … 5."""

    def to_json(self) -> dict[str, object]:
        return {
            "total": self.total,
            "mean": None if self.mean is None else fraction_json(self.mean),
            "median": None if self.median is None else fraction_json(self.median),
            "distribution": list(self.distribution),
        }


@dataclass(frozen=True)
class ScoreTally:
    method: Method
    turnout: Turnout
    outcome: Outcome
    winners: tuple[str, ...]
    by: ScoreRule
    scores: Mapping[str, ScoreSummary]
    blank: int
    tied: tuple[str, ...]
    tie_break: TieBreak | None
    """Set when the other statistic (median for ``by=mean``, mean for ``by=median``) decided."""

    def to_json(self) -> dict[str, object]:
        return {
            **head_json(self.method, self.outcome, self.winners, self.turnout),
            "by": self.by.value,
            "scores": {option: summary.to_json() for option, summary in self.scores.items()},
            "blank": self.blank,
            "tied": list(self.tied),
            "tie_break": None if self.tie_break is None else self.tie_break.value,
        }


def check_scores(
    options: Collection[str], ballot: object, index: int | None = None
) -> dict[str, int]:
    """A score ballot: option id → whole number 0–5 (an empty mapping is a blank ballot)."""
    if not isinstance(ballot, Mapping):
        raise InvalidBallot(f"a score ballot maps option ids to scores, not {ballot!r}", index)
    scores: dict[str, int] = {}
    for option, value in ballot.items():
        if not isinstance(option, str) or option not in options:
            raise InvalidBallot(f"{option!r} is not an option", index)
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCORES:
            raise InvalidBallot(
                f"the score for {option!r} must be a whole number from 0 to 5, not {value!r}",
                index,
            )
        scores[option] = value
    return scores


def _summary(distribution: list[int]) -> ScoreSummary:
    voters = sum(distribution)
    total = sum(score * count for score, count in zip(SCORES, distribution, strict=True))
    if voters == 0:
        return ScoreSummary(total, None, None, tuple(distribution))
    ordered = [
        score for score, count in zip(SCORES, distribution, strict=True) for _ in range(count)
    ]
    middle = voters // 2
    if voters % 2:
        median = Fraction(ordered[middle])
    else:
        median = Fraction(ordered[middle - 1] + ordered[middle], 2)
    return ScoreSummary(total, Fraction(total, voters), median, tuple(distribution))


def score(
    options: Sequence[str],
    ballots: Iterable[Mapping[str, int]],
    *,
    by: ScoreRule = ScoreRule.MEAN,
    electorate: int | None = None,
    quorum: Quorum | None = None,
) -> ScoreTally:
    """Score voting, 0–5: the highest mean (or median, ``by``) wins.

    An option a ballot leaves out gets 0 from it; a ballot that scores nothing is blank and
    left out of the means and medians. Level on the rule's statistic, the other one decides
    (median for ``by=mean``, mean for ``by=median``); level on both is a tie, no winner.
    """
    order = check_options(options)
    known = frozenset(order)
    checked = [check_scores(known, ballot, index) for index, ballot in enumerate(ballots)]
    scored = [ballot for ballot in checked if ballot]
    distributions = {option: [0] * len(SCORES) for option in order}
    for ballot in scored:
        for option in order:
            distributions[option][ballot.get(option, 0)] += 1
    scores = {option: _summary(distributions[option]) for option in order}
    seen = turnout(len(checked), electorate, quorum)
    blank = len(checked) - len(scored)
    tied: tuple[str, ...] = ()
    winners: tuple[str, ...] = ()
    tie_break: TieBreak | None = None
    if not scored:
        outcome = Outcome.NO_VOTES
    else:
        best = _top(order, scores, by)
        if len(best) > 1:
            other = ScoreRule.MEDIAN if by is ScoreRule.MEAN else ScoreRule.MEAN
            best = _top(best, scores, other)
            tie_break = TieBreak(other.value)
        if len(best) == 1:
            outcome, winners = Outcome.DECIDED, best
        else:
            outcome, tied, tie_break = Outcome.TIE, best, None
    outcome, winners = settle(seen, outcome, winners)
    return ScoreTally(Method.SCORE, seen, outcome, winners, by, scores, blank, tied, tie_break)


def _statistic(summary: ScoreSummary, rule: ScoreRule) -> Fraction:
    value = summary.mean if rule is ScoreRule.MEAN else summary.median
    assert value is not None
    return value


def _top(
    options: Sequence[str], scores: Mapping[str, ScoreSummary], rule: ScoreRule
) -> tuple[str, ...]:
    best = max(_statistic(scores[option], rule) for option in options)
    return tuple(option for option in options if _statistic(scores[option], rule) == best)
