"""Reads that many callers make at once, answered together and remembered for a short while.

A connection storm (a node restarted, a thousand people reconnecting) asks the same few
questions once per connection: whose token is this, where does this document belong, what is
this person's role in that room. Asked one by one, each is a query and its round trips to the
database thread; the storm then costs milliseconds of CPU per connection. `CachedReads` makes
the questions asked while one read is on its way wait for the next read, which takes them all
(`WHERE key IN (...)`), and keeps the answers for `ttl` seconds.

Kept answers must not outlive a change. `ReadMemory` groups the caches of one process; every
change that could take access away empties all of them at once (`forget`): the audit log's
events on this node and the other nodes' access news (server/services.py). While such news
cannot be heard (the bus is down) nothing is kept at all. A change no event reports (the CLI,
on a node without a bus) is seen within `ttl`, the access review's own period, which is the
bound open connections already had. docs/access.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_BATCH = 500  # keys per read: under SQLite's and asyncpg's parameter limits


class ReadMemory:
    """The caches of one process, emptied together; nothing is kept while ``trusted()`` is
    false (the news of changes made elsewhere cannot arrive)."""

    def __init__(self, ttl: float, *, trusted: Callable[[], bool] = lambda: True) -> None:
        self.ttl = ttl
        self.trusted = trusted
        self._caches: list[CachedReads[Any, Any]] = []
        self.generation = 0  # bumped by every `forget`: a read begun before keeps nothing

    def reads(
        self, fetch: Callable[[frozenset[K]], Awaitable[Mapping[K, V]]], *, size: int = 20_000
    ) -> CachedReads[K, V]:
        return CachedReads(fetch, memory=self, size=size)

    def join(self, cache: CachedReads[Any, Any]) -> None:
        """Empty ``cache`` with the others (every cache made with this memory joins it)."""
        self._caches.append(cache)

    def sweep(self) -> None:
        """Drop the answers that are no longer fresh, so that what a storm left behind does
        not stay in memory until its keys are asked again (run every `ttl` seconds)."""
        for cache in self._caches:
            cache.sweep()

    def forget(self) -> None:
        """Forget every kept answer (something that grants access changed)."""
        self.generation += 1
        for cache in self._caches:
            cache.clear()


class _Missing:
    pass


MISSING = _Missing()


class CachedReads(Generic[K, V]):
    """One read by key, gathered and cached. ``fetch`` answers a set of keys with a mapping;
    a key it leaves out is answered None (and None is remembered too). Without a memory,
    nothing is cached: the reads are only gathered."""

    def __init__(
        self,
        fetch: Callable[[frozenset[K]], Awaitable[Mapping[K, V]]],
        *,
        memory: ReadMemory | None = None,
        size: int = 20_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._fetch, self._memory, self._size = fetch, memory, size
        self._clock = clock
        self._kept: dict[K, tuple[float, V | None]] = {}
        self._waiting: dict[K, asyncio.Future[V | None]] = {}
        self._reading: asyncio.Task[None] | None = None
        if memory is not None:
            memory.join(self)

    def clear(self) -> None:
        self._kept.clear()

    def sweep(self) -> None:
        """Drop the answers that are stale."""
        now = self._now()
        stale = [key for key, (until, _) in self._kept.items() if until <= now]
        for key in stale:
            del self._kept[key]

    def _prune(self) -> None:
        """Make room: drop what is stale, and everything if that is not enough."""
        self.sweep()
        if len(self._kept) > self._size // 2:
            self._kept.clear()

    def forget(self, key: K) -> None:
        self._kept.pop(key, None)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def kept(self, key: K) -> V | _Missing | None:
        """The answer kept for ``key`` if it is still fresh, else MISSING."""
        found = self._kept.get(key)
        if found is None:
            return MISSING
        if found[0] <= self._now() or self._memory is None or not self._memory.trusted():
            del self._kept[key]
            return MISSING
        return found[1]

    async def get(self, key: K) -> V | None:
        """The answer for ``key``: kept, or read with the other keys asked meanwhile."""
        answer = self.kept(key)
        if not isinstance(answer, _Missing):
            return answer
        future = self._waiting.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_retrieve)
            self._waiting[key] = future
            if self._reading is None:
                self._reading = asyncio.get_running_loop().create_task(self._read_all())
        # shielded: one caller cancelled must not cancel the answer the others wait for
        return await asyncio.shield(future)

    async def _read_all(self) -> None:
        """Read what is waiting, a batch at a time, until nothing waits; keys asked during a
        read wait for the next one."""
        try:
            while self._waiting:
                keys = list(self._waiting)[:MAX_BATCH]
                batch = {key: self._waiting.pop(key) for key in keys}
                await self._read(batch)
        finally:
            self._reading = None

    async def _read(self, batch: dict[K, asyncio.Future[V | None]]) -> None:
        memory = self._memory
        generation = None if memory is None else memory.generation
        try:
            found = await self._fetch(frozenset(batch))
        except Exception as exc:  # every caller of the batch gets the error
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
            return
        keep = memory is not None and memory.generation == generation and memory.trusted()
        now = self._now()
        until = now + (0.0 if memory is None else memory.ttl)
        if keep and len(self._kept) + len(batch) > self._size:
            self._prune()
        for key, future in batch.items():
            answer = found.get(key)
            if keep and len(self._kept) < self._size:
                self._kept[key] = (until, answer)
            if not future.done():
                future.set_result(answer)


def _retrieve(future: asyncio.Future[Any]) -> None:
    # an error nobody awaited any more (its caller was cancelled) is not worth a warning
    if not future.cancelled():
        future.exception()


def gathered(
    memory: ReadMemory | None, fetch: Callable[[frozenset[K]], Awaitable[Mapping[K, V]]]
) -> CachedReads[K, V]:
    """Reads of ``fetch`` gathered, and kept in ``memory`` when there is one."""
    return CachedReads(fetch) if memory is None else memory.reads(fetch)
