"""Single transferable vote: several seats, Droop quota, weighted inclusive Gregory transfers.

Exact arithmetic throughout (``fractions.Fraction``): no rounding, so no vote is lost or
made up by truncation. The rules are in ``server.decisions.tally`` and docs/tallies.md.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from server.decisions.tally_common import (
    InvalidSetup,
    Method,
    Outcome,
    Quorum,
    TieBreak,
    Turnout,
    check_options,
    fraction_json,
    fractions_json,
    head_json,
    pick,
    settle,
    turnout,
)
from server.decisions.tally_ranked import Ranking, first_continuing, rankings


class StvAction(enum.StrEnum):
    SURPLUS = "surplus"
    ELIMINATION = "elimination"
    NONE = "none"
    """The last round: every seat is filled."""


@dataclass(frozen=True)
class StvRound:
    number: int
    totals: Mapping[str, Fraction]
    """Every option's votes at this count, in option order: 0 once eliminated, the quota
    once its surplus has been transferred."""
    exhausted: Fraction
    """Votes on ballots with no continuing option left, so far (blank ballots not included)."""
    elected: tuple[str, ...]
    """Options elected at this count: those at or above the quota (most votes first), then,
    when the continuing options are no more than the seats left, all of them."""
    action: StvAction
    subject: str | None
    """The option whose surplus is transferred, or which is eliminated."""
    transfer_value: Fraction | None
    """For a surplus: surplus / the subject's votes; each of its ballots goes on at its
    value times this."""
    transfers: Mapping[str, Fraction]
    """Votes passed to each continuing option."""
    exhausted_now: Fraction
    """Votes of the subject's ballots that rank no continuing option."""
    tie_break: TieBreak | None

    def to_json(self) -> dict[str, object]:
        return {
            "round": self.number,
            "totals": fractions_json(self.totals),
            "exhausted": fraction_json(self.exhausted),
            "elected": list(self.elected),
            "action": self.action.value,
            "subject": self.subject,
            "transfer_value": (
                None if self.transfer_value is None else fraction_json(self.transfer_value)
            ),
            "transfers": fractions_json(self.transfers),
            "exhausted_now": fraction_json(self.exhausted_now),
            "tie_break": None if self.tie_break is None else self.tie_break.value,
        }


@dataclass(frozen=True)
class StvTally:
    method: Method
    turnout: Turnout
    outcome: Outcome
    winners: tuple[str, ...]
    """The elected, in the order of their election."""
    seats: int
    quota: int
    """Droop: floor(valid / (seats + 1)) + 1."""
    valid: int
    """Ballots that rank at least one option."""
    blank: int
    rounds: tuple[StvRound, ...]

    def to_json(self) -> dict[str, object]:
        return {
            **head_json(self.method, self.outcome, self.winners, self.turnout),
            "seats": self.seats,
            "quota": self.quota,
            "valid": self.valid,
            "blank": self.blank,
            "rounds": [round_.to_json() for round_ in self.rounds],
        }


class _Parcel:
    """Identical ballots travelling together at one value each."""

    __slots__ = ("count", "ranking", "value")

    def __init__(self, ranking: Ranking, count: int) -> None:
        self.ranking = ranking
        self.count = count
        self.value = Fraction(1)

    @property
    def votes(self) -> Fraction:
        return self.count * self.value


class _Count:
    """The state of one STV count between rounds."""

    def __init__(self, order: tuple[str, ...], groups: Mapping[Ranking, int]) -> None:
        self.order = order
        self.continuing = list(order)
        self.piles: dict[str, list[_Parcel]] = {option: [] for option in order}
        self.kept: dict[str, Fraction] = {}
        self.exhausted = Fraction(0)
        for ranking, count in groups.items():
            self.piles[ranking[0]].append(_Parcel(ranking, count))

    def totals(self) -> dict[str, Fraction]:
        return {
            option: self.kept.get(option, sum((p.votes for p in self.piles[option]), Fraction(0)))
            for option in self.order
        }

    def move(self, option: str, factor: Fraction) -> tuple[dict[str, Fraction], Fraction]:
        """Pass ``option``'s ballots on at ``factor`` times their value."""
        transfers = dict.fromkeys(self.continuing, Fraction(0))
        exhausted = Fraction(0)
        live = frozenset(self.continuing)
        for parcel in self.piles[option]:
            parcel.value *= factor
            following = first_continuing(parcel.ranking, live)
            if following is None:
                exhausted += parcel.votes
            else:
                self.piles[following].append(parcel)
                transfers[following] += parcel.votes
        self.piles[option] = []
        self.exhausted += exhausted
        return {o: v for o, v in transfers.items() if v}, exhausted


def _by_votes(
    options: Iterable[str], totals: Mapping[str, Fraction], order: Sequence[str]
) -> list[str]:
    position = {option: index for index, option in enumerate(order)}
    return sorted(options, key=lambda option: (-totals[option], position[option]))


@dataclass(frozen=True)
class _Step:
    """What a round does after its elections."""

    action: StvAction = StvAction.NONE
    subject: str | None = None
    transfer_value: Fraction | None = None
    transfers: Mapping[str, Fraction] = field(default_factory=dict)
    exhausted_now: Fraction = Fraction(0)
    tie_break: TieBreak | None = None


def _step(
    count: _Count,
    totals: Mapping[str, Fraction],
    pending: list[str],
    history: Sequence[Mapping[str, Fraction]],
    quota: int,
) -> _Step:
    """Transfer the largest surplus or, with none left, eliminate the last option."""
    pending[:] = [option for option in pending if totals[option] > quota]
    if pending:
        largest = max(totals[option] for option in pending)
        level = [option for option in pending if totals[option] == largest]
        subject, tie_break = pick(level, history, count.order, lowest=False)
        pending.remove(subject)
        factor = (totals[subject] - quota) / totals[subject]
        transfers, exhausted = count.move(subject, factor)
        count.kept[subject] = Fraction(quota)
        return _Step(StvAction.SURPLUS, subject, factor, transfers, exhausted, tie_break)
    fewest = min(totals[option] for option in count.continuing)
    level = [option for option in count.continuing if totals[option] == fewest]
    subject, tie_break = pick(level, history, count.order, lowest=True)
    count.continuing.remove(subject)
    transfers, exhausted = count.move(subject, Fraction(1))
    return _Step(StvAction.ELIMINATION, subject, None, transfers, exhausted, tie_break)


def stv(
    options: Sequence[str],
    ballots: Iterable[Sequence[str]],
    *,
    seats: int,
    electorate: int | None = None,
    quorum: Quorum | None = None,
) -> StvTally:
    """Elect ``seats`` options from ranked ballots by STV (see ``server.decisions.tally``).

    Raises InvalidBallot for an unknown or repeated option, InvalidSetup for fewer than one
    seat. With fewer options than seats, every option is elected.
    """
    order = check_options(options)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise InvalidSetup(f"an STV vote needs at least one seat, not {seats!r}")
    cast, groups = rankings(order, ballots)
    seen = turnout(cast, electorate, quorum)
    valid = sum(groups.values())
    quota = valid // (seats + 1) + 1
    if valid == 0:
        outcome, winners = settle(seen, Outcome.NO_VOTES, ())
        return StvTally(Method.STV, seen, outcome, winners, seats, quota, 0, cast, ())
    count = _Count(order, groups)
    elected: list[str] = []
    pending: list[str] = []
    history: list[dict[str, Fraction]] = []
    rounds: list[StvRound] = []
    while True:
        totals = count.totals()
        now = _by_votes((o for o in count.continuing if totals[o] >= quota), totals, order)
        now = now[: seats - len(elected)]
        for option in now:
            count.continuing.remove(option)
        pending += now
        if len(elected) + len(now) + len(count.continuing) <= seats:
            now += _by_votes(count.continuing, totals, order)
            count.continuing.clear()
        elected += now
        exhausted = count.exhausted
        done = len(elected) == seats or not count.continuing
        step = _Step() if done else _step(count, totals, pending, history, quota)
        rounds.append(
            StvRound(
                number=len(rounds) + 1,
                totals=totals,
                exhausted=exhausted,
                elected=tuple(now),
                action=step.action,
                subject=step.subject,
                transfer_value=step.transfer_value,
                transfers=step.transfers,
                exhausted_now=step.exhausted_now,
                tie_break=step.tie_break,
            )
        )
        if done:
            break
        history.append(totals)
    outcome, winners = settle(seen, Outcome.DECIDED, tuple(elected))
    return StvTally(
        Method.STV, seen, outcome, winners, seats, quota, valid, cast - valid, tuple(rounds)
    )
