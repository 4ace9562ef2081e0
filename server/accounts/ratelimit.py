"""In-memory sliding-window counters for failed logins (one process; not shared by nodes)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

SWEEP_ABOVE = 10_000  # keys held before stale ones are swept


class SlidingWindow:
    """At most ``limit`` events per key within any ``window`` seconds."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None if it may now."""
        events = self._fresh(key)
        if events is None or len(events) < self.limit:
            return None
        return max(events[0] + self.window - self._clock(), 0.001)

    def hit(self, key: str) -> None:
        self._events.setdefault(key, deque()).append(self._clock())
        self._fresh(key)
        if len(self._events) > SWEEP_ABOVE:  # keys nobody asks about again would stay forever
            for stale in list(self._events):
                self._fresh(stale)

    def reset(self, key: str) -> None:
        self._events.pop(key, None)

    def _fresh(self, key: str) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        horizon = self._clock() - self.window
        while events and events[0] <= horizon:
            events.popleft()
        while len(events) > self.limit:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events
