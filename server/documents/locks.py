"""A lock per document name, kept only while someone holds it or waits for it.

The registry serialises loading and unloading one name. Keeping an `asyncio.Lock` for every
name ever opened grew without bound (one per document a client asked for, forever); here a
name's entry counts its holders and waiters and goes when the count returns to zero.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class NameLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}  # lock, [users]

    def __len__(self) -> int:
        return len(self._locks)

    def held(self, name: str) -> bool:
        entry = self._locks.get(name)
        return entry is not None and entry[0].locked()

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        entry = self._locks.get(name)
        if entry is None:
            entry = self._locks[name] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[name]
