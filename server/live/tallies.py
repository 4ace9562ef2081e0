"""When the running tally of a secret vote may be pushed to its live room.

A push ~50 ms after each ballot lets anyone watching (visibility `always`) see each choice
arrive on its own: the difference between two pushes is one ballot, and who just voted is
often no secret (issue 10). So a secret vote's pushes are batched: one is sent only once
`batch` ballots (new or changed) have come in since the previous push, and no sooner than
`every` seconds after it (`VECHE_SECRET_TALLY_BATCH`, `VECHE_SECRET_TALLY_SECONDS`).
Ballots short of a batch show at the close, with the result. The REST answer for the vote
shows the same snapshot as the last push (`PushedTallies`), or asking after every ballot
would single them out all the same. docs/secret-ballots.md says what this protects and what
it does not. Pure: no I/O; the caller owns the timers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

SECRET_TALLY_BATCH = 5  # ballots per push of a secret vote's running tally
SECRET_TALLY_SECONDS = 10.0  # at least this long between two such pushes


class BallotBatches:
    def __init__(
        self,
        batch: int = SECRET_TALLY_BATCH,
        every: float = SECRET_TALLY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._batch, self._every, self._clock = batch, every, clock
        self._waiting: dict[Hashable, int] = {}  # ballots since the last push, per vote
        self._pushed: dict[Hashable, float] = {}  # when each vote was last pushed (recent only)

    def ballot(self, vote: Hashable) -> float | None:
        """Count one ballot of ``vote``: None to hold the push, else the seconds to wait
        before it may be pushed (0: now)."""
        waiting = self._waiting.get(vote, 0) + 1
        self._waiting[vote] = waiting
        if waiting < self._batch:
            return None
        last = self._pushed.get(vote)
        return 0.0 if last is None else max(0.0, last + self._every - self._clock())

    def pushed(self, vote: Hashable) -> None:
        """The tally of ``vote`` is being pushed: start counting the next batch."""
        now = self._clock()
        self._waiting.pop(vote, None)
        self._pushed[vote] = now
        # a push older than `every` no longer delays anything: keep only the recent ones
        for old in [v for v, at in self._pushed.items() if at + self._every <= now]:
            del self._pushed[old]

    def forget(self, vote: Hashable) -> None:
        """The vote closed: its result shows everything."""
        self._waiting.pop(vote, None)
        self._pushed.pop(vote, None)


@dataclass(frozen=True)
class PushedTally:
    """A secret vote's running tally as its last push showed it."""

    ballots: int
    tally: dict[str, Any] | None  # None: the visibility showed no tally (`after_close`)


class PushedTallies:
    """The last pushed tally of each open secret vote on this node, for the REST answer.

    Bounded: a vote closed on another node is never forgotten here by its close, so past
    `limit` the oldest snapshot goes; a vote without one shows no ballot at all, which
    reveals nothing (it only lags until the next batch)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._shown: dict[Hashable, PushedTally] = {}

    def record(self, vote: Hashable, shown: PushedTally) -> None:
        self._shown.pop(vote, None)  # re-inserted last: the newest stay
        self._shown[vote] = shown
        while len(self._shown) > self._limit:
            del self._shown[next(iter(self._shown))]

    def get(self, vote: Hashable) -> PushedTally | None:
        return self._shown.get(vote)

    def forget(self, vote: Hashable) -> None:
        self._shown.pop(vote, None)
