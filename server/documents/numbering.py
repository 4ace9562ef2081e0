"""Which sequence numbers of a document this node has applied.

The database numbers a document's updates when it stores them (storage.document_log), in
commit order and without holes in what one transaction takes. A node applies its own
updates before they have numbers and learns the numbers after the commit; other nodes'
updates arrive over the bus with their numbers, in any order, and some may be lost on the
way. `AppliedNumbers` keeps the unbroken run from 1 (`through`) and the numbers seen above
it, so that a hole can be filled from SQL and a checkpoint is written only at a number whose
whole prefix the state holds.
"""

from __future__ import annotations


class AppliedNumbers:
    """The sequence numbers applied to one document in memory."""

    def __init__(self, through: int) -> None:
        self.through = through  # every number <= this is applied
        self._beyond: set[int] = set()  # applied numbers above `through`

    @property
    def highest(self) -> int:
        """The highest number applied (the document holds at least this version)."""
        return max(self._beyond, default=self.through)

    @property
    def has_gap(self) -> bool:
        """Whether a number below `highest` is missing."""
        return bool(self._beyond)

    def holds(self, seq: int) -> bool:
        return seq <= self.through or seq in self._beyond

    def mark(self, seq: int) -> bool:
        """Record ``seq`` as applied; False if it was already."""
        if self.holds(seq):
            return False
        if seq == self.through + 1:
            self.through = seq
            while self.through + 1 in self._beyond:
                self._beyond.remove(self.through + 1)
                self.through += 1
        else:
            self._beyond.add(seq)
        return True

    def missing(self) -> list[int]:
        """The numbers below `highest` not applied, ascending."""
        return [n for n in range(self.through + 1, self.highest) if n not in self._beyond]
