"""Vote tallies: pure, deterministic functions from options and ballots to a full result.

One function per method (DESIGN §1, "Poll/vote"); each takes keyword ``electorate`` (the
number entitled to vote, fixed when the vote opens) and ``quorum``, validates every ballot,
and returns a frozen result with ``method``, ``outcome``, ``winners``, ``turnout``, the
method's detail and ``to_json()``:

==================  ==============================  ==================  ==================
function            a ballot is                      result              blank ballot
==================  ==============================  ==================  ==================
yes_no_abstain      "yes" / "no" / "abstain"         YesNoTally          "abstain"
single_choice       an option id, or None            CountTally          None
approval            a collection of option ids       CountTally          empty
score               {option id: 0..5}                ScoreTally          empty mapping
instant_runoff      a ranking: option ids, best      IrvTally            empty
                    first, possibly truncated
schulze             a ranking                        SchulzeTally        empty
stv                 a ranking (and ``seats=``)       StvTally            empty
==================  ==============================  ==================  ==================

Exceptions (``TallyError`` is a ``ValueError``)::

    TallyError
    ├── InvalidBallot   a ballot does not fit: unknown option, a repeated one, a score out of
    │                   0..5, a wrong shape (the API answers 422); .index, .reason
    └── InvalidSetup    the vote is ill-defined: no or repeated options, seats < 1, a bad
                        majority or quorum, a share needing an unknown electorate

Turnout and quorum. Every ballot is cast, blank ones and abstentions included, and counts
for the quorum: ``Quorum(count=n)`` needs n ballots, ``Quorum(share=f)`` needs
ceil(f × electorate). Without the quorum the outcome is ``no_quorum`` and nobody wins, but
the count is still shown in full. Blank ballots count for no option and, in STV, not towards
the quota's ``valid`` votes.

Majorities (yes/no). ``Majority.simple()``: yes > no (more than half of yes + no;
abstentions are not votes cast). ``Majority.absolute()``: yes > half of the electorate.
``Majority.qualified(f, base)``: yes ≥ f × base, with base yes + no (default), every ballot
(abstaining then weighs as no) or the electorate. A motion with no yes is never adopted.

Tie-breaks. The option order given is the documented last resort: no randomness anywhere.

* yes/no: a tie is ``rejected`` — a motion needs a majority for it (``tied`` is set).
* single choice, approval: a tie for first is outcome ``tie`` with ``tied`` listed, no
  winner (the body decides, e.g. by a run-off).
* score: level on the rule's statistic (mean by default), the other one decides (median,
  or mean for ``by=median``); level on both is a ``tie``.
* instant-runoff: level for fewest votes, the backwards tie-break: among the level options,
  keep those with the fewest votes in the previous round, then the round before, back to the
  first; if still level, the later option in the option order is eliminated.
* Schulze: several potential winners (p[x][y] ≥ p[y][x] for all y) — the earliest in the
  option order wins; the full ranking places options that do not beat each other the same
  way (Schulze's own tie-breaking ranking, fixed in advance as the option order).
* STV: eliminations as for instant-runoff (over the earlier rounds' totals); equal
  surpluses: the one with more votes at the latest earlier round where they differ, then the
  earlier option, is transferred first.

STV. Droop quota floor(valid / (seats + 1)) + 1, integer. Each round: every continuing
option at or above the quota is elected (most votes first, then option order); when the
continuing options are no more than the seats left, all of them are elected and the count
ends. Otherwise the largest surplus is transferred, one per round, before any elimination;
with no surplus left the option with the fewest votes is eliminated and its ballots pass on
at their value. Surpluses by the weighted inclusive Gregory method (as Scotland's 2007 rules,
rule 48): *all* the elected option's ballots pass on, each at its value × surplus / the
option's votes; the share on ballots with no continuing option left is exhausted. Unlike the
Scottish rules (five decimals, remainder ignored) every value is an exact Fraction.

JSON (``to_json()``): plain dicts, lists, strings, integers, booleans and None. Integer
counts stay integers; every Fraction (STV votes, transfer values, means, medians, shares,
thresholds) is a string, ``"6"`` or ``"3/2"`` in lowest terms, so nothing is rounded.
"""

from server.decisions.tally_choice import (
    SCORES,
    CountTally,
    ScoreRule,
    ScoreSummary,
    ScoreTally,
    approval,
    check_approval,
    check_scores,
    check_single,
    score,
    single_choice,
)
from server.decisions.tally_common import (
    InvalidBallot,
    InvalidSetup,
    Method,
    Outcome,
    Quorum,
    Tally,
    TallyError,
    TieBreak,
    Turnout,
)
from server.decisions.tally_majority import (
    SIMPLE_MAJORITY,
    Base,
    Choice,
    Majority,
    YesNoTally,
    check_choice,
    yes_no_abstain,
)
from server.decisions.tally_ranked import (
    IrvRound,
    IrvTally,
    Ranking,
    SchulzeTally,
    check_ranking,
    instant_runoff,
    schulze,
)
from server.decisions.tally_stv import StvAction, StvRound, StvTally, stv

__all__ = [
    "SCORES",
    "SIMPLE_MAJORITY",
    "Base",
    "Choice",
    "CountTally",
    "InvalidBallot",
    "InvalidSetup",
    "IrvRound",
    "IrvTally",
    "Majority",
    "Method",
    "Outcome",
    "Quorum",
    "Ranking",
    "SchulzeTally",
    "ScoreRule",
    "ScoreSummary",
    "ScoreTally",
    "StvAction",
    "StvRound",
    "StvTally",
    "Tally",
    "TallyError",
    "TieBreak",
    "Turnout",
    "YesNoTally",
    "approval",
    "check_approval",
    "check_choice",
    "check_ranking",
    "check_scores",
    "check_single",
    "instant_runoff",
    "schulze",
    "score",
    "single_choice",
    "stv",
    "yes_no_abstain",
]
