"""Per-user limit on concurrent document connections (on this node)."""

from __future__ import annotations

from collections import Counter


class ConnectionQuota:
    """Counts each signed-in user's open connections; `take` refuses one over the limit."""

    def __init__(self, per_user: int) -> None:
        self._per_user = per_user
        self._open: Counter[int] = Counter()

    def take(self, user_id: int) -> bool:
        if self._open[user_id] >= self._per_user:
            return False
        self._open[user_id] += 1
        return True

    def give_back(self, user_id: int) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]

    def open_connections(self, user_id: int) -> int:
        return self._open[user_id]
