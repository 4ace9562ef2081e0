"""What every tally shares: errors, outcomes, quorum and turnout, tie-breaks, exact numbers.

The rules themselves are written once, in the docstring of ``server.decisions.tally``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational
from typing import Protocol


class TallyError(ValueError):
    """Root of the tally errors."""


class InvalidBallot(TallyError):
    """A ballot that does not fit the method or the options (the API answers 422).

    ``index`` is the ballot's position in the input (None when one ballot was checked
    alone); ``reason`` says what is wrong with it.
    """

    def __init__(self, reason: str, index: int | None = None) -> None:
        self.reason = reason
        self.index = index
        super().__init__(reason if index is None else f"ballot {index}: {reason}")


class InvalidSetup(TallyError):
    """The vote itself is ill-defined: its options, seats, majority, quorum or electorate."""


class Method(enum.StrEnum):
    YES_NO_ABSTAIN = "yes_no_abstain"
    SINGLE_CHOICE = "single_choice"
    APPROVAL = "approval"
    INSTANT_RUNOFF = "instant_runoff"
    SCHULZE = "schulze"
    SCORE = "score"
    STV = "stv"


class Outcome(enum.StrEnum):
    ADOPTED = "adopted"
    REJECTED = "rejected"
    DECIDED = "decided"
    """The winner (or the STV seats) is known: ``winners``."""
    TIE = "tie"
    """No winner: options level for first (``tied``) in a method that does not break ties."""
    NO_VOTES = "no_votes"
    """Every ballot was blank (or there were none): nothing to count."""
    NO_QUORUM = "no_quorum"
    """Too few ballots: the count is shown but decides nothing."""


class TieBreak(enum.StrEnum):
    """What settled a tie that the method breaks."""

    PREVIOUS_ROUNDS = "previous_rounds"
    OPTION_ORDER = "option_order"
    MEDIAN = "median"
    MEAN = "mean"


def exact(value: Rational | int | float | str, what: str) -> Fraction:
    """``value`` as an exact Fraction; a float is read by its shortest repr (0.3 is 3/10)."""
    if isinstance(value, bool):
        raise InvalidSetup(f"{what} must be a number, not {value!r}")
    try:
        if isinstance(value, float):
            return Fraction(repr(value))
        return Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise InvalidSetup(f"{what} must be a number, not {value!r}") from None


@dataclass(frozen=True)
class Quorum:
    """At least ``count`` ballots, or at least ``share`` of the electorate: exactly one is set.

    A ``share`` that arrives at run time as a float or a string (``0.5``, ``"1/2"``) is read
    exactly by :func:`exact` and kept as a Fraction.
    """

    share: Fraction | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if (self.share is None) == (self.count is None):
            raise InvalidSetup("a quorum is a share of the electorate or a count, one of the two")
        if self.share is not None:
            share = exact(self.share, "the quorum share")
            if not 0 <= share <= 1:
                raise InvalidSetup(f"the quorum share must be between 0 and 1, not {share}")
            object.__setattr__(self, "share", share)
        if self.count is not None and (
            isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0
        ):
            raise InvalidSetup(f"the quorum count must be a whole number ≥ 0, not {self.count!r}")

    def required(self, electorate: int | None) -> int:
        """How many ballots meet the quorum."""
        if self.count is not None:
            return self.count
        assert self.share is not None
        if electorate is None:
            raise InvalidSetup("a quorum given as a share needs the electorate")
        return math.ceil(self.share * electorate)

    def to_json(self) -> dict[str, object]:
        if self.share is not None:
            return {"share": fraction_json(self.share)}
        return {"count": self.count}


@dataclass(frozen=True)
class Turnout:
    """Ballots cast (blank ones and abstentions included) against the electorate and quorum."""

    cast: int
    electorate: int | None
    quorum: int | None
    """Ballots needed for the quorum; None when the vote has no quorum."""

    @property
    def quorum_met(self) -> bool:
        return self.quorum is None or self.cast >= self.quorum

    @property
    def share(self) -> Fraction | None:
        """``cast / electorate``; None when the electorate is unknown or empty."""
        if not self.electorate:
            return None
        return Fraction(self.cast, self.electorate)

    def to_json(self) -> dict[str, object]:
        share = self.share
        return {
            "cast": self.cast,
            "electorate": self.electorate,
            "share": None if share is None else fraction_json(share),
            "quorum": self.quorum,
            "quorum_met": self.quorum_met,
        }


def turnout(cast: int, electorate: int | None, quorum: Quorum | None) -> Turnout:
    """The turnout of ``cast`` ballots; raises InvalidSetup for an impossible electorate."""
    if electorate is not None:
        if isinstance(electorate, bool) or not isinstance(electorate, int) or electorate < 0:
            raise InvalidSetup(f"the electorate must be a whole number ≥ 0, not {electorate!r}")
        if cast > electorate:
            raise InvalidSetup(f"{cast} ballots cast by an electorate of {electorate}")
    return Turnout(cast, electorate, None if quorum is None else quorum.required(electorate))


def check_options(options: Sequence[str]) -> tuple[str, ...]:
    """The options as a tuple, in order; raises InvalidSetup unless distinct non-empty ids."""
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise InvalidSetup("options must be a list of option ids")
    checked = tuple(options)
    if not checked:
        raise InvalidSetup("a vote needs at least one option")
    seen: set[str] = set()
    for option in checked:
        if not isinstance(option, str) or not option:
            raise InvalidSetup(f"an option id must be a non-empty string, not {option!r}")
        if option in seen:
            raise InvalidSetup(f"option {option!r} is listed twice")
        seen.add(option)
    return checked


def pick(
    tied: Sequence[str],
    history: Sequence[Mapping[str, Fraction | int]],
    options: Sequence[str],
    *,
    lowest: bool,
) -> tuple[str, TieBreak | None]:
    """One of ``tied``: the one to eliminate (``lowest``) or the one to favour.

    Backwards tie-break: keep those with the fewest (or most) votes in the round before,
    then in the round before that, back to the first; if several are still level, the
    option order decides — the earlier option is favoured, the later one eliminated.
    """
    if len(tied) == 1:
        return tied[0], None
    level = list(tied)
    for counts in reversed(history):
        values = [Fraction(counts.get(option, 0)) for option in level]
        target = min(values) if lowest else max(values)
        level = [option for option, value in zip(level, values, strict=True) if value == target]
        if len(level) == 1:
            return level[0], TieBreak.PREVIOUS_ROUNDS
    position = {option: index for index, option in enumerate(options)}
    level.sort(key=position.__getitem__)
    return (level[-1] if lowest else level[0]), TieBreak.OPTION_ORDER


def distinct_options(
    options: Collection[str], chosen: Iterable[object], index: int | None, twice: str
) -> list[str]:
    """The option ids of a ballot that lists options (approval, ranking), in its order;
    InvalidBallot for one that is not an option or comes twice ("… is <twice> twice")."""
    seen: list[str] = []
    for option in chosen:
        if not isinstance(option, str) or option not in options:
            raise InvalidBallot(f"{option!r} is not an option", index)
        if option in seen:
            raise InvalidBallot(f"{option!r} is {twice} twice", index)
        seen.append(option)
    return seen


def fraction_json(value: Fraction | int) -> str:
    """An exact number for JSON: ``"6"``, ``"3/2"`` (a Fraction's own str, in lowest terms)."""
    return str(Fraction(value))


def fractions_json(values: Mapping[str, Fraction]) -> dict[str, str]:
    return {key: fraction_json(value) for key, value in values.items()}


def head_json(
    method: Method, outcome: Outcome, winners: Iterable[str], turnout: Turnout
) -> dict[str, object]:
    """The part of every result's JSON that is the same for all methods."""
    return {
        "method": method.value,
        "outcome": outcome.value,
        "winners": list(winners),
        "turnout": turnout.to_json(),
    }


def settle(
    turnout: Turnout, outcome: Outcome, winners: tuple[str, ...]
) -> tuple[Outcome, tuple[str, ...]]:
    """Without the quorum, nothing is decided, whatever the count says."""
    if not turnout.quorum_met:
        return Outcome.NO_QUORUM, ()
    return outcome, winners


class Tally(Protocol):
    """What every result offers; each method's result adds its own detail."""

    @property
    def method(self) -> Method: ...

    @property
    def outcome(self) -> Outcome: ...

    @property
    def winners(self) -> tuple[str, ...]: ...

    @property
    def turnout(self) -> Turnout: ...

    def to_json(self) -> dict[str, object]: ...
