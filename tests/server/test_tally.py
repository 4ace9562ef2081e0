"""Vote tallies (server/decisions/tally*.py): published examples, properties, edge cases.

Published worked examples checked here, figure for figure:

* Tennessee capital — the example shared by Wikipedia's voting-method articles (e.g.
  "Instant-runoff voting", "Condorcet method", "Plurality voting"): 100 voters, Memphis 42
  (M>N>C>K), Nashville 26 (N>C>K>M), Chattanooga 15 (C>K>N>M), Knoxville 17 (K>C>N>M).
  Plurality elects Memphis, instant-runoff Knoxville, Schulze the Condorcet winner Nashville.
* Schulze — Wikipedia, "Schulze method", section "Example" (45 voters, A–E): the published
  matrices d[*,*] and p[*,*] and the ranking E > A > C > B > D.
* STV — Wikipedia, "Single transferable vote", section "Example" (the food election: 20
  guests, 3 seats, Droop quota 6): elected Chocolate, Oranges, Strawberries. The article moves
  Chocolate's surplus of 6 "in proportion" to the second preferences, 4 to Strawberries and
  2 to Hamburgers. Our weighted inclusive Gregory transfer gives the same figures here,
  because all of Chocolate's 12 ballots are first preferences (transfer value 6/12 = 1/2):
  Gregory, its inclusive form and the article's proportional share all coincide, and the
  later rounds (Pears out, Oranges reaching 6, Hamburgers out) match too.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from fractions import Fraction
from random import Random
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from server.decisions.tally import (
    Base,
    InvalidBallot,
    InvalidSetup,
    Majority,
    Outcome,
    Quorum,
    ScoreRule,
    StvAction,
    Tally,
    TieBreak,
    approval,
    check_ranking,
    instant_runoff,
    schulze,
    score,
    single_choice,
    stv,
    yes_no_abstain,
)

# --- published examples ---------------------------------------------------------------

TENNESSEE = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
TENNESSEE_BALLOTS = (
    [["Memphis", "Nashville", "Chattanooga", "Knoxville"]] * 42
    + [["Nashville", "Chattanooga", "Knoxville", "Memphis"]] * 26
    + [["Chattanooga", "Knoxville", "Nashville", "Memphis"]] * 15
    + [["Knoxville", "Chattanooga", "Nashville", "Memphis"]] * 17
)


def test_tennessee_plurality_elects_memphis() -> None:
    result = single_choice(TENNESSEE, [ballot[0] for ballot in TENNESSEE_BALLOTS])
    assert result.outcome is Outcome.DECIDED
    assert result.winners == ("Memphis",)
    assert result.counts == {"Memphis": 42, "Nashville": 26, "Chattanooga": 15, "Knoxville": 17}


def test_tennessee_instant_runoff_elects_knoxville() -> None:
    result = instant_runoff(TENNESSEE, TENNESSEE_BALLOTS)
    assert result.winners == ("Knoxville",)
    first, second, third = result.rounds
    assert first.counts == {"Memphis": 42, "Nashville": 26, "Chattanooga": 15, "Knoxville": 17}
    assert (first.majority, first.eliminated, first.transfers) == (
        51,
        "Chattanooga",
        {"Knoxville": 15},
    )
    assert second.counts == {"Memphis": 42, "Nashville": 26, "Knoxville": 32}
    assert (second.eliminated, second.transfers) == ("Nashville", {"Knoxville": 26})
    assert third.counts == {"Memphis": 42, "Knoxville": 58}
    assert third.elected == "Knoxville"
    assert all(round_.exhausted == 0 and round_.tie_break is None for round_ in result.rounds)


def test_tennessee_schulze_elects_the_condorcet_winner_nashville() -> None:
    result = schulze(TENNESSEE, TENNESSEE_BALLOTS)
    assert result.winners == ("Nashville",)
    assert result.potential_winners == ("Nashville",)
    assert result.ranking == ("Nashville", "Chattanooga", "Knoxville", "Memphis")
    d = result.pairwise
    assert (d["Nashville"]["Memphis"], d["Memphis"]["Nashville"]) == (58, 42)
    assert (d["Nashville"]["Chattanooga"], d["Nashville"]["Knoxville"]) == (68, 68)
    assert (d["Chattanooga"]["Knoxville"], d["Knoxville"]["Chattanooga"]) == (83, 17)


def _profile(text: str) -> list[list[str]]:
    ballots: list[list[str]] = []
    for part in text.split(","):
        count, order = part.split()
        ballots += [list(order)] * int(count)
    return ballots


SCHULZE_WIKIPEDIA = _profile(
    "5 ACBED, 5 ADECB, 8 BEDAC, 3 CABED, 7 CAEBD, 2 CBADE, 7 DCEBA, 8 EBADC"
)


def _matrix(rows: str) -> dict[str, dict[str, int]]:
    """Rows of a published 5×5 matrix, the diagonal written as '-'."""
    names = "ABCDE"
    return {
        a: {b: int(cell) for b, cell in zip(names, line.split(), strict=True) if b != a}
        for a, line in zip(names, rows.strip().splitlines(), strict=True)
    }


def test_schulze_wikipedia_example_matrices_and_ranking() -> None:
    result = schulze(list("ABCDE"), SCHULZE_WIKIPEDIA)
    assert result.turnout.cast == 45
    assert result.pairwise == _matrix(
        """
        -  20 26 30 22
        25 -  16 33 18
        19 29 -  17 24
        15 12 28 -  14
        23 27 21 31 -
        """
    )
    assert result.strongest_paths == _matrix(
        """
        -  28 28 30 24
        25 -  28 33 24
        25 29 -  29 24
        25 28 28 -  24
        25 28 28 31 -
        """
    )
    assert result.winners == ("E",)
    assert result.potential_winners == ("E",)
    assert result.ranking == ("E", "A", "C", "B", "D")
    assert result.tie_break is None


FOOD = ["Oranges", "Pears", "Chocolate", "Strawberries", "Hamburgers"]
FOOD_BALLOTS = (
    [["Oranges", "Pears"]] * 4
    + [["Pears", "Oranges"]] * 2
    + [["Chocolate", "Strawberries"]] * 8
    + [["Chocolate", "Hamburgers"]] * 4
    + [["Strawberries"]]
    + [["Hamburgers"]]
)


def test_stv_wikipedia_food_example() -> None:
    result = stv(FOOD, FOOD_BALLOTS, seats=3)
    assert result.quota == 6
    assert set(result.winners) == {"Chocolate", "Oranges", "Strawberries"}
    assert result.winners == ("Chocolate", "Oranges", "Strawberries")
    first, second, third, fourth = result.rounds
    assert first.totals == {
        "Oranges": 4,
        "Pears": 2,
        "Chocolate": 12,
        "Strawberries": 1,
        "Hamburgers": 1,
    }
    assert first.elected == ("Chocolate",)
    assert (first.action, first.subject, first.transfer_value) == (
        StvAction.SURPLUS,
        "Chocolate",
        Fraction(1, 2),
    )
    assert first.transfers == {"Strawberries": 4, "Hamburgers": 2}
    assert second.totals == {
        "Oranges": 4,
        "Pears": 2,
        "Chocolate": 6,
        "Strawberries": 5,
        "Hamburgers": 3,
    }
    assert (second.action, second.subject, second.transfers) == (
        StvAction.ELIMINATION,
        "Pears",
        {"Oranges": Fraction(2)},
    )
    assert third.elected == ("Oranges",)
    assert (third.subject, third.exhausted_now) == ("Hamburgers", Fraction(3))
    assert not third.transfers
    assert fourth.totals["Strawberries"] == 5
    assert (fourth.elected, fourth.action, fourth.exhausted) == (
        ("Strawberries",),
        StvAction.NONE,
        Fraction(3),
    )


# --- yes / no / abstain -----------------------------------------------------------------


def votes(yes: int, no: int, abstain: int = 0) -> list[str]:
    return ["yes"] * yes + ["no"] * no + ["abstain"] * abstain


def test_simple_majority_ignores_abstentions() -> None:
    result = yes_no_abstain(votes(3, 2, 10))
    assert result.outcome is Outcome.ADOPTED
    assert (result.yes, result.no, result.abstain, result.turnout.cast) == (3, 2, 10, 15)
    assert result.threshold == Fraction(5, 2)


def test_simple_majority_tie_is_rejected() -> None:
    result = yes_no_abstain(votes(4, 4, 1))
    assert result.outcome is Outcome.REJECTED
    assert result.tied


def test_absolute_majority_counts_the_electorate() -> None:
    assert (
        yes_no_abstain(votes(6, 0), majority=Majority.absolute(), electorate=12).outcome
        is Outcome.REJECTED
    )
    assert (
        yes_no_abstain(votes(7, 5), majority=Majority.absolute(), electorate=12).outcome
        is Outcome.ADOPTED
    )
    with pytest.raises(InvalidSetup, match="electorate"):
        yes_no_abstain(votes(7, 5), majority=Majority.absolute())


def test_two_thirds_of_votes_cast_is_at_least_two_thirds() -> None:
    two_thirds = Majority.qualified(Fraction(2, 3))
    assert yes_no_abstain(votes(20, 10, 50), majority=two_thirds).outcome is Outcome.ADOPTED
    assert yes_no_abstain(votes(19, 10), majority=two_thirds).outcome is Outcome.REJECTED
    present = Majority.qualified(Fraction(2, 3), Base.BALLOTS)
    assert yes_no_abstain(votes(20, 10, 1), majority=present).outcome is Outcome.REJECTED


def test_all_abstain_is_rejected_but_meets_the_quorum() -> None:
    for majority in (Majority.simple(), Majority.qualified(Fraction(2, 3))):
        result = yes_no_abstain(
            votes(0, 0, 5), majority=majority, electorate=8, quorum=Quorum(share=Fraction(1, 2))
        )
        assert result.outcome is Outcome.REJECTED
        assert result.turnout.quorum == 4
        assert result.turnout.quorum_met


def test_quorum_not_met() -> None:
    result = yes_no_abstain(votes(3, 0), electorate=10, quorum=Quorum(share=Fraction(1, 2)))
    assert result.outcome is Outcome.NO_QUORUM
    assert not result.turnout.quorum_met
    assert result.turnout.share == Fraction(3, 10)
    assert yes_no_abstain(votes(3, 1), quorum=Quorum(count=4)).outcome is Outcome.ADOPTED


def test_quorum_share_from_json_is_exact() -> None:
    assert Quorum(share=0.3).share == Fraction(3, 10)  # type: ignore[arg-type]
    assert Quorum(share="2/3").required(10) == 7  # type: ignore[arg-type]


# --- single choice, approval, score -----------------------------------------------------


def test_plurality_tie_has_no_winner() -> None:
    result = single_choice(["a", "b", "c"], ["a", "b", None, "b", "a", "c"])
    assert result.outcome is Outcome.TIE
    assert (result.winners, result.tied, result.blank) == ((), ("a", "b"), 1)


def test_approval_counts_and_tie() -> None:
    result = approval(["a", "b", "c"], [{"a", "b"}, ["b"], (), ["c", "a"]])
    assert result.counts == {"a": 2, "b": 2, "c": 1}
    assert (result.outcome, result.tied, result.blank) == (Outcome.TIE, ("a", "b"), 1)
    assert approval(["a", "b"], [["a", "b"], ["b"]]).winners == ("b",)


def test_score_mean_wins_and_median_breaks_ties() -> None:
    options = ["a", "b", "c"]
    result = score(options, [{"a": 5, "b": 3}, {"a": 1, "b": 3, "c": 5}, {}])
    assert result.blank == 1
    assert result.scores["a"].mean == result.scores["a"].median == 3
    assert result.scores["c"].distribution == (1, 0, 0, 0, 0, 1)
    assert (result.scores["c"].mean, result.scores["c"].median) == (Fraction(5, 2), Fraction(5, 2))
    # a (5, 1) and b (3, 3): mean 3 and median 3 each, level on both.
    assert (result.outcome, result.winners, result.tied) == (Outcome.TIE, (), ("a", "b"))
    # a: 5 5 0 0 0 (mean 2, median 0); b: 2 2 2 1 1 (mean 8/5, median 2).
    ballots = [{"a": 5, "b": 2}, {"a": 5, "b": 2}, {"b": 2}, {"b": 1}, {"b": 1}]
    assert score(options, ballots).winners == ("a",)
    assert score(options, ballots, by=ScoreRule.MEDIAN).winners == ("b",)
    # a: 5 2 2, b: 3 3 3 — mean 3 each; b's median 3 beats a's 2.
    broken = score(["a", "b"], [{"a": 5, "b": 3}, {"a": 2, "b": 3}, {"a": 2, "b": 3}])
    assert broken.scores["a"].mean == broken.scores["b"].mean == 3
    assert (broken.winners, broken.tie_break) == (("b",), TieBreak.MEDIAN)


# --- instant-runoff, Schulze, STV: ties and special cases --------------------------------


def test_irv_tie_for_last_looks_at_the_previous_round() -> None:
    ballots = [["A"]] * 6 + [["B", "C"]] * 3 + [["C"]] * 4 + [["D", "B", "C"]]
    result = instant_runoff(list("ABCD"), ballots)
    first, second, third = result.rounds
    assert (first.eliminated, first.transfers) == ("D", {"B": 1})
    assert second.counts == {"A": 6, "B": 4, "C": 4}
    # Level on 4, B had fewer in round 1: B goes, although the option order would drop C.
    assert (second.eliminated, second.tie_break) == ("B", TieBreak.PREVIOUS_ROUNDS)
    assert third.counts == {"A": 6, "C": 8}
    assert result.winners == ("C",)


def test_irv_tie_with_no_history_drops_the_later_option_and_exhausts_ballots() -> None:
    result = instant_runoff(["x", "y", "z"], [["x"], ["y"], ["z", "x"], []])
    first, second = result.rounds
    assert (first.eliminated, first.tie_break, first.transfers) == (
        "z",
        TieBreak.OPTION_ORDER,
        {"x": 1},
    )
    # x 2, y 1: x has more than half of the 3 counted.
    assert (second.counts, second.elected) == ({"x": 2, "y": 1}, "x")
    assert result.blank == 1
    two = instant_runoff(["x", "y"], [["x"], ["y"]])
    assert [r.eliminated for r in two.rounds] == ["y", None]
    assert two.rounds[-1].exhausted == 1
    assert two.winners == ("x",)


def test_schulze_tie_goes_to_the_earliest_option() -> None:
    cycle = [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    result = schulze(["b", "a", "c"], cycle)
    assert result.potential_winners == ("b", "a", "c")
    assert (result.winners, result.tie_break) == (("b",), TieBreak.OPTION_ORDER)
    assert result.ranking == ("b", "a", "c")


def test_stv_surplus_is_weighted_inclusive_gregory() -> None:
    ballots = [list("ABC")] * 10 + [list("BD")] * 2 + [["D"]] * 3 + [["E"]] * 3
    result = stv(list("ABCDE"), ballots, seats=3)
    assert result.quota == 5
    first, second, third, fourth, fifth = result.rounds
    assert (first.subject, first.transfer_value, first.transfers) == (
        "A",
        Fraction(1, 2),
        {"B": Fraction(5)},
    )
    # B's whole pile goes on, the 10 ballots from A at 1/2 and its own 2 at 1, all × 2/7:
    # last-parcel Gregory would instead give all of B's surplus of 2 to C.
    assert second.totals["B"] == 7
    assert (second.subject, second.transfer_value) == ("B", Fraction(2, 7))
    assert second.transfers == {"C": Fraction(10, 7), "D": Fraction(4, 7)}
    assert third.totals == {"A": 5, "B": 5, "C": Fraction(10, 7), "D": Fraction(25, 7), "E": 3}
    assert (third.subject, third.exhausted_now) == ("C", Fraction(10, 7))
    assert (fourth.subject, fourth.exhausted_now) == ("E", Fraction(3))
    assert (fifth.elected, fifth.exhausted) == (("D",), Fraction(31, 7))
    assert result.winners == ("A", "B", "D")


def test_stv_elimination_tie_and_fewer_options_than_seats() -> None:
    result = stv(["A", "B", "C"], [["A"], ["A"], ["B"], ["C"]], seats=1)
    assert result.quota == 3
    assert (result.rounds[0].subject, result.rounds[0].tie_break) == ("C", TieBreak.OPTION_ORDER)
    assert result.winners == ("A",)
    everyone = stv(["A", "B", "C"], [["B"]], seats=5)
    assert everyone.winners == ("B", "A", "C")
    assert everyone.rounds[0].action is StvAction.NONE


# --- edge cases -------------------------------------------------------------------------

OPTIONS = ["a", "b", "c"]

EVERY_METHOD: dict[str, tuple[Callable[[list[Any]], Tally], list[Any]]] = {
    "single_choice": (lambda b: single_choice(OPTIONS, b), ["a"]),
    "approval": (lambda b: approval(OPTIONS, b), [["a"]]),
    "score": (lambda b: score(OPTIONS, b), [{"a": 4}]),
    "instant_runoff": (lambda b: instant_runoff(OPTIONS, b), [["a", "b"]]),
    "schulze": (lambda b: schulze(OPTIONS, b), [["a", "b"]]),
    "stv": (lambda b: stv(OPTIONS, b, seats=2), [["a", "b"]]),
}


@pytest.mark.parametrize(("count", "one"), EVERY_METHOD.values(), ids=EVERY_METHOD.keys())
def test_no_ballots_decides_nothing(count: Callable[[list[Any]], Tally], one: list[Any]) -> None:
    result = count([])
    assert (result.outcome, result.winners, result.turnout.cast) == (Outcome.NO_VOTES, (), 0)
    json.dumps(result.to_json())
    assert count(one).outcome is Outcome.DECIDED


def test_blank_ballots_only() -> None:
    assert single_choice(OPTIONS, [None, None]).outcome is Outcome.NO_VOTES
    assert instant_runoff(OPTIONS, [[], []]).blank == 2
    assert stv(OPTIONS, [[]], seats=1).outcome is Outcome.NO_VOTES
    assert yes_no_abstain([]).outcome is Outcome.REJECTED


def test_quorum_not_met_withholds_every_winner() -> None:
    quorum = Quorum(count=3)
    for result in (
        single_choice(OPTIONS, ["a", "a"], quorum=quorum),
        approval(OPTIONS, [["a"], []], quorum=quorum),
        score(OPTIONS, [{"a": 5}, {}], quorum=quorum),
        instant_runoff(OPTIONS, [["a"], ["b", "a"]], quorum=quorum),
        schulze(OPTIONS, [["a"], ["b", "a"]], quorum=quorum),
        stv(OPTIONS, [["a"], ["b", "a"]], seats=2, quorum=quorum),
    ):
        assert (result.outcome, result.winners) == (Outcome.NO_QUORUM, ())
        assert result.turnout.to_json() == {
            "cast": 2,
            "electorate": None,
            "share": None,
            "quorum": 3,
            "quorum_met": False,
        }


@pytest.mark.parametrize(
    ("count", "ballot", "message"),
    [
        (lambda b: yes_no_abstain(b), "maybe", "is not one of yes, no, abstain"),
        (lambda b: yes_no_abstain(b), None, "is not one of"),
        (lambda b: single_choice(OPTIONS, b), "d", "'d' is not an option"),
        (lambda b: single_choice(OPTIONS, b), ["a"], "option id or null"),
        (lambda b: approval(OPTIONS, b), ["a", "a"], "approved twice"),
        (lambda b: approval(OPTIONS, b), "ab", "list of option ids"),
        (lambda b: approval(OPTIONS, b), ["z"], "not an option"),
        (lambda b: instant_runoff(OPTIONS, b), ["a", "b", "a"], "'a' is ranked twice"),
        (lambda b: schulze(OPTIONS, b), ["a", "x"], "'x' is not an option"),
        (lambda b: stv(OPTIONS, b, seats=1), "abc", "list of option ids"),
        (lambda b: stv(OPTIONS, b, seats=1), ["b", "b"], "ranked twice"),
        (lambda b: score(OPTIONS, b), {"a": 6}, "from 0 to 5"),
        (lambda b: score(OPTIONS, b), {"a": -1}, "from 0 to 5"),
        (lambda b: score(OPTIONS, b), {"a": 2.5}, "from 0 to 5"),
        (lambda b: score(OPTIONS, b), {"a": True}, "from 0 to 5"),
        (lambda b: score(OPTIONS, b), {"q": 1}, "'q' is not an option"),
        (lambda b: score(OPTIONS, b), ["a"], "maps option ids to scores"),
    ],
)
def test_invalid_ballot(
    count: Callable[[list[object]], object], ballot: object, message: str
) -> None:
    with pytest.raises(InvalidBallot, match=message) as raised:
        count([ballot])
    assert raised.value.index == 0
    assert str(raised.value).startswith("ballot 0: ")


def test_invalid_ballot_reports_its_position() -> None:
    with pytest.raises(InvalidBallot) as raised:
        instant_runoff(OPTIONS, [["a"], ["b"], ["c", "c"]])
    assert (raised.value.index, raised.value.reason) == (2, "'c' is ranked twice")
    with pytest.raises(InvalidBallot, match=r"^'d' is not an option$"):
        check_ranking(OPTIONS, ["d"])


@pytest.mark.parametrize(
    "call",
    [
        lambda: single_choice([], []),
        lambda: single_choice(["a", "a"], []),
        lambda: single_choice(["a", ""], []),
        lambda: single_choice("abc", []),
        lambda: stv(OPTIONS, [], seats=0),
        lambda: single_choice(OPTIONS, ["a"], quorum=Quorum(share=Fraction(1, 2))),
        lambda: single_choice(OPTIONS, ["a", "b"], electorate=1),
        lambda: Quorum(),
        lambda: Quorum(share=Fraction(1, 2), count=3),
        lambda: Quorum(share=Fraction(3, 2)),
        lambda: Quorum(count=-1),
        lambda: Majority.qualified(Fraction(0)),
    ],
)
def test_invalid_setup(call: Callable[[], object]) -> None:
    with pytest.raises(InvalidSetup):
        call()


# --- properties -------------------------------------------------------------------------

LABELS = "ABCDE"


@st.composite
def ranked_vote(draw: st.DrawFn, min_options: int = 1) -> tuple[list[str], list[list[str]]]:
    options = list(LABELS[: draw(st.integers(min_options, len(LABELS)))])
    ballot = st.permutations(options).flatmap(
        lambda order: st.integers(0, len(order)).map(lambda k: list(order[:k]))
    )
    return options, draw(st.lists(ballot, max_size=25))


def prefers(ballot: Sequence[str], a: str, b: str) -> bool:
    return a in ballot and (b not in ballot or ballot.index(a) < ballot.index(b))


@settings(max_examples=150, deadline=None)
@given(ranked_vote(min_options=2))
def test_condorcet_winner_wins_schulze(vote: tuple[list[str], list[list[str]]]) -> None:
    options, ballots = vote

    def beats(a: str, b: str) -> bool:
        return sum(prefers(x, a, b) for x in ballots) > sum(prefers(x, b, a) for x in ballots)

    winners = [a for a in options if all(beats(a, b) for b in options if b != a)]
    assume(winners)
    result = schulze(options, ballots)
    assert result.winners == (winners[0],)
    assert result.potential_winners == (winners[0],)
    assert all(
        result.pairwise[a][b] == sum(prefers(x, a, b) for x in ballots)
        for a in options
        for b in options
        if a != b
    )


@settings(max_examples=100, deadline=None)
@given(ranked_vote(), st.randoms(use_true_random=False))
def test_ranked_counts_ignore_ballot_order(
    vote: tuple[list[str], list[list[str]]], random: Random
) -> None:
    options, ballots = vote
    shuffled = list(ballots)
    random.shuffle(shuffled)
    assert instant_runoff(options, shuffled) == instant_runoff(options, ballots)
    assert schulze(options, shuffled) == schulze(options, ballots)
    assert stv(options, shuffled, seats=2) == stv(options, ballots, seats=2)


@settings(max_examples=100, deadline=None)
@given(ranked_vote())
def test_irv_winner_has_a_majority_of_the_last_round(
    vote: tuple[list[str], list[list[str]]],
) -> None:
    options, ballots = vote
    result = instant_runoff(options, ballots)
    valid = sum(1 for ballot in ballots if ballot)
    assert result.blank == len(ballots) - valid
    for round_ in result.rounds:
        assert sum(round_.counts.values()) + round_.exhausted == valid
        if round_.eliminated is not None:
            moved = sum(round_.transfers.values()) + round_.exhausted_now
            assert moved == round_.counts[round_.eliminated]
    if valid:
        last = result.rounds[-1]
        assert last.elected == result.winners[0]
        assert 2 * last.counts[last.elected] > sum(last.counts.values())


@settings(max_examples=100, deadline=None)
@given(ranked_vote(), st.integers(1, 4))
def test_stv_fills_every_seat_and_keeps_every_vote(
    vote: tuple[list[str], list[list[str]]], seats: int
) -> None:
    options, ballots = vote
    result = stv(options, ballots, seats=seats)
    valid = sum(1 for ballot in ballots if ballot)
    assert result.quota == valid // (seats + 1) + 1
    if valid:
        assert len(result.winners) == min(seats, len(options))
        assert len(set(result.winners)) == len(result.winners)
    for round_ in result.rounds:
        assert sum(round_.totals.values()) + round_.exhausted == valid
        if round_.subject is not None:
            moved = sum(round_.transfers.values()) + round_.exhausted_now
            kept = result.quota if round_.action is StvAction.SURPLUS else 0
            assert moved == round_.totals[round_.subject] - kept


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*OPTIONS, None])), st.lists(st.sets(st.sampled_from(OPTIONS))))
def test_plurality_and_approval_counts_add_up(
    singles: list[str | None], sets: list[set[str]]
) -> None:
    plurality = single_choice(OPTIONS, singles)
    assert (
        sum(plurality.counts.values()) + plurality.blank == plurality.turnout.cast == len(singles)
    )
    assert plurality.counts == {o: singles.count(o) for o in OPTIONS}
    approved = approval(OPTIONS, sets)
    assert sum(approved.counts.values()) == sum(len(s) for s in sets)
    assert approved.blank == sum(1 for s in sets if not s)
    for result in (plurality, approved):
        top = max(result.counts.values())
        if result.outcome is Outcome.DECIDED:
            assert result.counts[result.winners[0]] == top
            assert list(result.counts.values()).count(top) == 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(OPTIONS), st.integers(0, 5)), max_size=20))
def test_score_mean_and_median(ballots: list[dict[str, int]]) -> None:
    result = score(OPTIONS, ballots)
    scored = [ballot for ballot in ballots if ballot]
    for option in OPTIONS:
        summary = result.scores[option]
        values = [Fraction(ballot.get(option, 0)) for ballot in scored]
        assert summary.total == sum(values)
        assert sum(summary.distribution) == len(scored)
        if values:
            assert summary.mean == statistics.mean(values)
            assert summary.median == statistics.median(values)
        else:
            assert summary.mean is summary.median is None
    if result.outcome is Outcome.DECIDED:
        best = max(s.mean for s in result.scores.values() if s.mean is not None)
        assert result.scores[result.winners[0]].mean == best


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["yes", "no", "abstain"])), st.fractions(Fraction(1, 10), 1))
def test_yes_no_counts_add_up(ballots: list[str], fraction: Fraction) -> None:
    result = yes_no_abstain(ballots)
    assert result.yes + result.no + result.abstain == result.turnout.cast == len(ballots)
    assert (result.outcome is Outcome.ADOPTED) == (result.yes > result.no)
    qualified = yes_no_abstain(ballots, majority=Majority.qualified(fraction))
    adopted = result.yes > 0 and result.yes >= fraction * (result.yes + result.no)
    assert (qualified.outcome is Outcome.ADOPTED) == adopted


@settings(max_examples=100, deadline=None)
@given(ranked_vote())
def test_tallies_are_deterministic(vote: tuple[list[str], list[list[str]]]) -> None:
    options, ballots = vote
    firsts = [ballot[0] if ballot else None for ballot in ballots]
    counts: list[Callable[[], Tally]] = [
        lambda: instant_runoff(options, ballots),
        lambda: schulze(options, ballots),
        lambda: stv(options, ballots, seats=2),
        lambda: single_choice(options, firsts),
        lambda: approval(options, ballots),
        lambda: score(options, [dict.fromkeys(ballot, 3) for ballot in ballots]),
        lambda: yes_no_abstain(["yes" if ballot else "abstain" for ballot in ballots]),
    ]
    for count in counts:
        first, again = count(), count()
        assert first == again
        text = json.dumps(first.to_json())
        assert text == json.dumps(again.to_json())
        assert json.loads(text) == first.to_json()
