"""In-memory sliding-window counters for failed logins (one process; not shared by nodes).

Bounded whatever callers send: a key longer than `MAX_KEY_CHARS` is kept as its SHA-256 (a
200 MiB login name used to stay in memory for the whole window), and at most `max_keys`
keys are held — when a new key would pass that, keys whose window has passed go first, then
the key hit longest ago. Keys are kept in the order of their last hit, so both are found at
the front of the map, without a sweep over all of them.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_KEY_CHARS = 128
MAX_KEYS = 50_000  # ~25 MiB at worst (≤ 50 times per key, ~500 bytes with a short key)


def bounded_key(key: str) -> str:
    """``key`` itself, or its SHA-256 when it is longer than `MAX_KEY_CHARS`."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class SlidingWindow:
    """At most ``limit`` events per key within any ``window`` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.limit, self.window, self.max_keys, self._clock = limit, window, max_keys, clock
        # in the order of each key's last hit; OrderedDict pops its front in O(1), where a
        # dict's first item is found after a scan over the slots of keys deleted before it
        self._events: OrderedDict[str, list[float]] = OrderedDict()

    def keys_held(self) -> int:
        """How many keys have events in memory (expired ones included until they are met)."""
        return len(self._events)

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None if it may now."""
        events = self._fresh(bounded_key(key))
        if events is None or len(events) < self.limit:
            return None
        return max(events[0] + self.window - self._clock(), 0.001)

    def hit(self, key: str) -> float:
        """Count one event for ``key`` now; returns its time (for `give_back`)."""
        key = bounded_key(key)
        now = self._clock()
        events = self._events.get(key)
        if events is None:
            self._make_room(now)
            events = self._events[key] = []
        else:
            self._events.move_to_end(key)
        events.append(now)
        if len(events) > self.limit:
            del events[: len(events) - self.limit]
        return now

    def give_back(self, key: str, at: float) -> None:
        """Remove the event counted at ``at`` (an attempt that turned out not to count)."""
        key = bounded_key(key)
        events = self._events.get(key)
        if events is not None and at in events:
            events.remove(at)
            if not events:
                del self._events[key]

    def reset(self, key: str) -> None:
        self._events.pop(bounded_key(key), None)

    def _make_room(self, now: float) -> None:
        horizon = now - self.window
        while self._events:  # the front holds the key hit longest ago
            events = next(iter(self._events.values()))
            if len(self._events) < self.max_keys and events[-1] > horizon:
                return
            self._events.popitem(last=False)  # its window has passed, or the map is full

    def _fresh(self, key: str) -> list[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        horizon = self._clock() - self.window
        while events and events[0] <= horizon:
            del events[0]
        if not events:
            del self._events[key]
            return None
        return events
