"""A vote's rules, typed: how its tally is shown (`visibility`, `min_ballots`), whether a
ballot may change, and the method's own rules (majority, quorum, ranked, seats, score_by).

Stored and shown as one JSON object, as they always were: the method's rules first, then
`visibility`, `min_ballots` and `allow_change`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.decisions.commands import VoteTerms
from server.decisions.methods import PollSpec

SETTINGS = ("visibility", "min_ballots", "allow_change")


@dataclass(frozen=True)
class VoteRules:
    visibility: str
    min_ballots: int
    allow_change: bool
    method_rules: dict[str, Any]

    @classmethod
    def of(cls, terms: VoteTerms) -> VoteRules:
        return cls(terms.visibility, terms.min_ballots, terms.allow_change, dict(terms.rules))

    @classmethod
    def stored(cls, rules: dict[str, Any]) -> VoteRules:
        """The rules of a stored poll (its `rules` JSON object)."""
        return cls(
            str(rules.get("visibility", "after_close")),
            int(rules.get("min_ballots", 0)),
            bool(rules.get("allow_change", True)),
            {k: v for k, v in rules.items() if k not in SETTINGS},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            **self.method_rules,
            "visibility": self.visibility,
            "min_ballots": self.min_ballots,
            "allow_change": self.allow_change,
        }

    def spec(self, method: str, options: Any) -> PollSpec:
        """The method with its options and rules (InvalidSetup if they do not fit)."""
        return PollSpec.parse(method, options, self.method_rules)

    def tally_shown(self, *, closed: bool, ballots: int, voted: bool) -> bool:
        """Whether a caller sees the tally: always once closed; before, only past
        `min_ballots` and as `visibility` allows (`after_vote`: to those who voted)."""
        if closed:
            return True
        if ballots < self.min_ballots:
            return False
        return self.visibility == "always" or (self.visibility == "after_vote" and voted)
