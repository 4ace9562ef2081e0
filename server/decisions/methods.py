"""A poll's method and rules as the API gives them, turned into the tally functions' terms.

`PollSpec.parse(method, options, rules)` checks everything once, when the poll is opened
(InvalidSetup otherwise); `check(choice)` checks one ballot (InvalidBallot) and `count(choices,
electorate)` runs the tally. Methods: ``yes_no_abstain``, ``single_choice``, ``approval``,
``ranked`` (``rules.ranked``: ``irv`` or ``schulze``), ``score``, ``stv`` (``rules.seats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from server.decisions.tally import (
    SIMPLE_MAJORITY,
    Base,
    InvalidSetup,
    Majority,
    Quorum,
    ScoreRule,
    Tally,
    approval,
    check_approval,
    check_choice,
    check_ranking,
    check_scores,
    check_single,
    instant_runoff,
    schulze,
    score,
    single_choice,
    stv,
    yes_no_abstain,
)

METHODS = ("yes_no_abstain", "single_choice", "approval", "ranked", "score", "stv")
YES_NO_OPTIONS = ("yes", "no", "abstain")


def _fraction(value: Any, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidSetup(f'{what} is a fraction like "2/3" or an integer')
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise InvalidSetup(f'{what} is a fraction like "2/3", not {value!r}') from None


def _majority(value: Any) -> Majority:
    if value is None or value == "simple":
        return SIMPLE_MAJORITY
    if value == "absolute":
        return Majority.absolute()
    if isinstance(value, dict) and set(value) <= {"qualified", "base"} and "qualified" in value:
        base = value.get("base", Base.VOTES_CAST.value)
        if base not in {b.value for b in Base}:
            raise InvalidSetup(f"majority base is one of {', '.join(b.value for b in Base)}")
        return Majority.qualified(_fraction(value["qualified"], "a qualified majority"), Base(base))
    raise InvalidSetup('majority is "simple", "absolute" or {"qualified": "2/3", "base": …}')


def _quorum(value: Any) -> Quorum | None:
    if value is None:
        return None
    if isinstance(value, dict) and set(value) == {"share"}:
        return Quorum(share=_fraction(value["share"], "the quorum share"))
    if isinstance(value, dict) and set(value) == {"count"}:
        return Quorum(count=value["count"])
    raise InvalidSetup('quorum is {"share": "1/2"} or {"count": 10}')


@dataclass(frozen=True)
class PollSpec:
    method: str
    options: tuple[str, ...]
    majority: Majority
    quorum: Quorum | None
    ranked: str
    seats: int
    score_by: ScoreRule

    @classmethod
    def parse(cls, method: Any, options: Any, rules: Any) -> PollSpec:
        if method not in METHODS:
            raise InvalidSetup(f"method is one of {', '.join(METHODS)}")
        if not isinstance(rules, dict):
            raise InvalidSetup("rules is an object")
        known = {"majority", "quorum", "ranked", "seats", "score_by"}
        if set(rules) - known:
            raise InvalidSetup(f"unknown rules: {', '.join(sorted(set(rules) - known))}")
        if method == "yes_no_abstain":
            options = list(YES_NO_OPTIONS)
        if (
            not isinstance(options, list)
            or not options
            or not all(isinstance(o, str) and 0 < len(o) <= 100 for o in options)
            or len(set(options)) != len(options)
            or len(options) > 100
        ):
            raise InvalidSetup("options is a list of 1 to 100 distinct names of 1-100 characters")
        ranked = rules.get("ranked", "irv")
        if ranked not in ("irv", "schulze"):
            raise InvalidSetup('rules.ranked is "irv" or "schulze"')
        seats = rules.get("seats", 1)
        if (
            isinstance(seats, bool)
            or not isinstance(seats, int)
            or not 1 <= seats < len(options) + 1
        ):
            raise InvalidSetup("rules.seats is a whole number from 1 to the number of options")
        score_by = rules.get("score_by", ScoreRule.MEAN.value)
        if not isinstance(score_by, str) or score_by not in {r.value for r in ScoreRule}:
            raise InvalidSetup(f"rules.score_by is one of {', '.join(r.value for r in ScoreRule)}")
        return cls(
            method,
            tuple(options),
            _majority(rules.get("majority")),
            _quorum(rules.get("quorum")),
            ranked,
            seats,
            ScoreRule(score_by),
        )

    def check(self, choice: Any) -> Any:
        """The ballot as stored (JSON); InvalidBallot if it does not fit the method."""
        if self.method == "yes_no_abstain":
            return check_choice(choice).value
        if self.method == "single_choice":
            return check_single(self.options, choice)
        if self.method == "approval":
            return sorted(check_approval(self.options, choice), key=self.options.index)
        if self.method == "score":
            return check_scores(self.options, choice)
        return list(check_ranking(self.options, choice))

    def count(self, choices: Sequence[Any], electorate: int) -> Tally:
        """The tally of these ballots (each as `check` returned it)."""
        kw: dict[str, Any] = {"electorate": electorate, "quorum": self.quorum}
        if self.method == "yes_no_abstain":
            return yes_no_abstain(choices, majority=self.majority, **kw)
        if self.method == "single_choice":
            return single_choice(self.options, choices, **kw)
        if self.method == "approval":
            return approval(self.options, choices, **kw)
        if self.method == "score":
            return score(self.options, choices, by=self.score_by, **kw)
        if self.method == "stv":
            return stv(self.options, choices, seats=self.seats, **kw)
        if self.ranked == "schulze":
            return schulze(self.options, choices, **kw)
        return instant_runoff(self.options, choices, **kw)
