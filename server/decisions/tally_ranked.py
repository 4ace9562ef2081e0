"""Ranked ballots counted by instant-runoff or by Schulze; the ranking check STV shares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from server.decisions.tally_common import (
    InvalidBallot,
    Method,
    Outcome,
    Quorum,
    TieBreak,
    Turnout,
    check_options,
    distinct_options,
    head_json,
    pick,
    settle,
    turnout,
)

Ranking = tuple[str, ...]
"""Option ids, most preferred first; options left out rank below all listed, level."""


def check_ranking(options: Collection[str], ballot: object, index: int | None = None) -> Ranking:
    """A ranked ballot as a tuple; raises InvalidBallot for an unknown or repeated option."""
    if isinstance(ballot, str | bytes) or not isinstance(ballot, Sequence):
        raise InvalidBallot(f"a ranked ballot is a list of option ids, not {ballot!r}", index)
    return tuple(distinct_options(options, ballot, index, "ranked"))


def rankings(
    options: Collection[str], ballots: Iterable[Sequence[str]]
) -> tuple[int, Counter[Ranking]]:
    """How many ballots were cast, and how many of each non-empty ranking."""
    cast = 0
    known = frozenset(options)
    groups: Counter[Ranking] = Counter()
    for index, ballot in enumerate(ballots):
        ranking = check_ranking(known, ballot, index)
        cast += 1
        if ranking:
            groups[ranking] += 1
    return cast, groups


def first_continuing(ranking: Ranking, continuing: Collection[str]) -> str | None:
    return next((option for option in ranking if option in continuing), None)


@dataclass(frozen=True)
class IrvRound:
    number: int
    counts: Mapping[str, int]
    """Votes of each option still in the count, in option order."""
    exhausted: int
    """Ballots with no option left in the count, so far (blank ballots are not among them)."""
    majority: int
    """Votes that win this round: more than half of the votes counted."""
    elected: str | None = None
    eliminated: str | None = None
    tie_break: TieBreak | None = None
    """How the elimination was decided when several options had the fewest votes."""
    transfers: Mapping[str, int] = field(default_factory=dict)
    """Where the eliminated option's ballots go: their next option still in the count."""
    exhausted_now: int = 0
    """The eliminated option's ballots that rank no option still in the count."""

    def to_json(self) -> dict[str, object]:
        return {
            "round": self.number,
            "counts": dict(self.counts),
            "exhausted": self.exhausted,
            "majority": self.majority,
            "elected": self.elected,
            "eliminated": self.eliminated,
            "tie_break": None if self.tie_break is None else self.tie_break.value,
            "transfers": dict(self.transfers),
            "exhausted_now": self.exhausted_now,
        }


@dataclass(frozen=True)
class IrvTally:
    method: Method
    turnout: Turnout
    outcome: Outcome
    winners: tuple[str, ...]
    rounds: tuple[IrvRound, ...]
    blank: int

    def to_json(self) -> dict[str, object]:
        return {
            **head_json(self.method, self.outcome, self.winners, self.turnout),
            "blank": self.blank,
            "rounds": [round_.to_json() for round_ in self.rounds],
        }


def instant_runoff(
    options: Sequence[str],
    ballots: Iterable[Sequence[str]],
    *,
    electorate: int | None = None,
    quorum: Quorum | None = None,
) -> IrvTally:
    """Instant-runoff: eliminate the last option until one has a majority of the votes counted.

    Each round counts every ballot for its highest-ranked option still in the count. An
    option with more than half of those votes wins; otherwise the one with the fewest is
    eliminated (one per round) and its ballots pass to their next option still in the
    count, or are exhausted. Level for fewest: backwards tie-break over the earlier rounds,
    then the later option in the option order goes.
    """
    order = check_options(options)
    cast, groups = rankings(order, ballots)
    seen = turnout(cast, electorate, quorum)
    valid = sum(groups.values())
    if valid == 0:
        outcome, winners = settle(seen, Outcome.NO_VOTES, ())
        return IrvTally(Method.INSTANT_RUNOFF, seen, outcome, winners, (), cast - valid)
    continuing = list(order)
    history: list[dict[str, int]] = []
    rounds: list[IrvRound] = []
    while True:
        piles: dict[str, list[tuple[Ranking, int]]] = {option: [] for option in continuing}
        live = frozenset(continuing)
        for ranking, count in groups.items():
            top = first_continuing(ranking, live)
            if top is not None:
                piles[top].append((ranking, count))
        counts = {option: sum(n for _, n in piles[option]) for option in continuing}
        counted = sum(counts.values())
        majority = counted // 2 + 1
        leader = max(continuing, key=counts.__getitem__)
        if counts[leader] >= majority:
            rounds.append(IrvRound(len(rounds) + 1, counts, valid - counted, majority, leader))
            break
        fewest = min(counts.values())
        loser, tie_break = pick(
            [option for option in continuing if counts[option] == fewest],
            history,
            order,
            lowest=True,
        )
        continuing.remove(loser)
        live = frozenset(continuing)
        transfers = dict.fromkeys(continuing, 0)
        exhausted_now = 0
        for ranking, count in piles[loser]:
            following = first_continuing(ranking, live)
            if following is None:
                exhausted_now += count
            else:
                transfers[following] += count
        rounds.append(
            IrvRound(
                len(rounds) + 1,
                counts,
                valid - counted,
                majority,
                eliminated=loser,
                tie_break=tie_break,
                transfers={option: n for option, n in transfers.items() if n},
                exhausted_now=exhausted_now,
            )
        )
        history.append(counts)
    outcome, winners = settle(seen, Outcome.DECIDED, (leader,))
    return IrvTally(Method.INSTANT_RUNOFF, seen, outcome, winners, tuple(rounds), cast - valid)


Matrix = Mapping[str, Mapping[str, int]]
"""``m[a][b]`` for every pair of distinct options, rows and columns in option order."""


@dataclass(frozen=True)
class SchulzeTally:
    method: Method
    turnout: Turnout
    outcome: Outcome
    winners: tuple[str, ...]
    pairwise: Matrix
    """``d[a][b]``: ballots that rank a above b."""
    strongest_paths: Matrix
    """``p[a][b]``: strength of the strongest path from a to b (winning votes)."""
    ranking: tuple[str, ...]
    """Every option, best first: a beats b when p[a][b] > p[b][a]; options neither beaten by
    nor beating each other are placed in the option order."""
    potential_winners: tuple[str, ...]
    """Options that no option beats; more than one is a tie broken by the option order."""
    tie_break: TieBreak | None
    blank: int

    def to_json(self) -> dict[str, object]:
        return {
            **head_json(self.method, self.outcome, self.winners, self.turnout),
            "blank": self.blank,
            "pairwise": {a: dict(row) for a, row in self.pairwise.items()},
            "strongest_paths": {a: dict(row) for a, row in self.strongest_paths.items()},
            "ranking": list(self.ranking),
            "potential_winners": list(self.potential_winners),
            "tie_break": None if self.tie_break is None else self.tie_break.value,
        }


def pairwise(options: Sequence[str], groups: Mapping[Ranking, int]) -> dict[str, dict[str, int]]:
    """``d[a][b]``: how many ballots rank a above b (a listed option is above an unlisted one)."""
    d = {a: {b: 0 for b in options if b != a} for a in options}
    for ranking, count in groups.items():
        below = set(options)
        for a in ranking:
            below.discard(a)
            row = d[a]
            for b in below:
                row[b] += count
    return d


def strongest_paths(options: Sequence[str], d: Matrix) -> dict[str, dict[str, int]]:
    """``p[a][b]``: the widest path from a to b over the links a→b with d[a][b] > d[b][a]."""
    p = {a: {b: (d[a][b] if d[a][b] > d[b][a] else 0) for b in d[a]} for a in options}
    for via in options:
        for a in options:
            if a == via:
                continue
            into = p[a][via]
            for b in options:
                if b not in (a, via):
                    p[a][b] = max(p[a][b], min(into, p[via][b]))
    return p


def schulze(
    options: Sequence[str],
    ballots: Iterable[Sequence[str]],
    *,
    electorate: int | None = None,
    quorum: Quorum | None = None,
) -> SchulzeTally:
    """Schulze (beatpath, winning votes): the option no other beats by strongest paths.

    Several potential winners are a tie, broken by the option order (the earliest wins).
    """
    order = check_options(options)
    cast, groups = rankings(order, ballots)
    seen = turnout(cast, electorate, quorum)
    d = pairwise(order, groups)
    p = strongest_paths(order, d)

    def beaten(b: str, among: Iterable[str]) -> bool:
        return any(p[a][b] > p[b][a] for a in among if a != b)

    potential = tuple(b for b in order if not beaten(b, order))
    remaining = list(order)
    ranking: list[str] = []
    while remaining:
        best = next(b for b in remaining if not beaten(b, remaining))
        ranking.append(best)
        remaining.remove(best)
    valid = sum(groups.values())
    tie_break = TieBreak.OPTION_ORDER if valid and len(potential) > 1 else None
    outcome, winners = settle(
        seen, Outcome.DECIDED if valid else Outcome.NO_VOTES, (ranking[0],) if valid else ()
    )
    return SchulzeTally(
        Method.SCHULZE,
        seen,
        outcome,
        winners,
        d,
        p,
        tuple(ranking),
        potential,
        tie_break,
        cast - valid,
    )
