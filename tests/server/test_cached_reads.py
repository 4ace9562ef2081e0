"""Reads gathered into one query and kept briefly (server/cached_reads.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from server.cached_reads import MAX_BATCH, CachedReads, ReadMemory


class Source:
    """A fetch that records each batch it is asked, answers ``value`` for each key (keys
    in ``absent`` are left out), and can be held until released."""

    def __init__(self) -> None:
        self.batches: list[frozenset[int]] = []
        self.absent: set[int] = set()
        self.value = "a"
        self.gate: asyncio.Event | None = None
        self.failure: Exception | None = None

    async def fetch(self, keys: frozenset[int]) -> Mapping[int, str]:
        self.batches.append(keys)
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return {key: f"{self.value}{key}" for key in keys if key not in self.absent}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def reading(source: Source, batches: int) -> None:
    """Let the loop run until ``batches`` reads have begun."""
    for _ in range(20):
        if len(source.batches) >= batches:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{len(source.batches)} reads began, not {batches}")


def cached(source: Source, memory: ReadMemory | None, clock: Clock) -> CachedReads[int, str]:
    return CachedReads(source.fetch, memory=memory, clock=clock)


async def test_keys_asked_together_are_read_in_one_query() -> None:
    source = Source()
    reads = cached(source, None, Clock())
    answers = await asyncio.gather(*(reads.get(key) for key in range(200)))
    assert answers == [f"a{key}" for key in range(200)]
    assert source.batches == [frozenset(range(200))]


async def test_keys_asked_during_a_read_wait_for_the_next_one_together() -> None:
    source = Source()
    source.gate = asyncio.Event()
    reads = cached(source, None, Clock())
    first = asyncio.ensure_future(reads.get(1))
    await reading(source, 1)  # the read of key 1 is on its way, held at the gate
    later = [asyncio.ensure_future(reads.get(key)) for key in (2, 3, 3, 4)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(source.batches) == 1  # nothing more until the first read answers
    source.gate.set()
    assert await first == "a1"
    assert [await f for f in later] == ["a2", "a3", "a3", "a4"]
    assert source.batches == [frozenset({1}), frozenset({2, 3, 4})]


async def test_a_storm_larger_than_a_batch_is_read_in_batches() -> None:
    source = Source()
    reads = cached(source, None, Clock())
    keys = range(MAX_BATCH * 2 + 7)
    assert await asyncio.gather(*(reads.get(k) for k in keys)) == [f"a{k}" for k in keys]
    assert [len(batch) for batch in source.batches] == [MAX_BATCH, MAX_BATCH, 7]


async def test_without_a_memory_every_ask_reads_again() -> None:
    source = Source()
    reads = cached(source, None, Clock())
    assert await reads.get(1) == "a1"
    source.value = "b"
    assert await reads.get(1) == "b1"
    assert len(source.batches) == 2


async def test_answers_are_kept_for_the_memory_s_time_and_none_too() -> None:
    source, clock = Source(), Clock()
    source.absent = {2}
    reads = cached(source, ReadMemory(5.0), clock)
    assert await reads.get(1) == "a1"
    assert await reads.get(2) is None
    source.value, source.absent = "b", set()
    clock.now += 4.9
    assert (await reads.get(1), await reads.get(2)) == ("a1", None)  # kept
    assert len(source.batches) == 2
    clock.now += 0.2
    assert (await reads.get(1), await reads.get(2)) == ("b1", "b2")  # stale: read again


async def test_forgetting_empties_every_cache_of_the_memory() -> None:
    memory, clock = ReadMemory(60.0), Clock()
    one, two = Source(), Source()
    first, second = cached(one, memory, clock), cached(two, memory, clock)
    memory.reads(one.fetch)  # a cache made by the memory itself is one of them too
    assert (await first.get(1), await second.get(1)) == ("a1", "a1")
    one.value = two.value = "b"
    memory.forget()
    assert (await first.get(1), await second.get(1)) == ("b1", "b1")


async def test_an_answer_read_before_a_change_is_not_kept_after_it() -> None:
    source, memory = Source(), ReadMemory(60.0)
    source.gate = asyncio.Event()
    reads = cached(source, memory, Clock())
    asking = asyncio.ensure_future(reads.get(1))
    await reading(source, 1)
    memory.forget()  # a revocation lands while the read is on its way
    source.gate.set()
    assert await asking == "a1"  # the caller gets what was read (as without a cache)
    source.value, source.gate = "b", None
    assert await reads.get(1) == "b1"  # but it was not kept


async def test_nothing_is_kept_or_served_while_the_memory_is_not_trusted() -> None:
    trusted = True
    source = Source()
    reads = cached(source, ReadMemory(60.0, trusted=lambda: trusted), Clock())
    assert await reads.get(1) == "a1"
    trusted = False  # the bus is down: changes made elsewhere cannot be heard
    source.value = "b"
    assert await reads.get(1) == "b1"
    source.value = "c"
    assert await reads.get(1) == "c1"
    assert len(source.batches) == 3


async def test_a_failed_read_fails_every_caller_of_its_batch_and_keeps_nothing() -> None:
    source = Source()
    source.failure = OSError("database gone")
    reads = cached(source, ReadMemory(60.0), Clock())
    results = await asyncio.gather(*(reads.get(k) for k in (1, 2, 2)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    source.failure = None
    assert await reads.get(2) == "a2"
    assert len(source.batches) == 2


async def test_a_caller_cancelled_does_not_cancel_the_others() -> None:
    source = Source()
    source.gate = asyncio.Event()
    reads = cached(source, None, Clock())
    impatient = asyncio.ensure_future(reads.get(1))
    patient = asyncio.ensure_future(reads.get(1))
    await reading(source, 1)
    impatient.cancel()
    source.gate.set()
    assert await patient == "a1"
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_a_full_cache_drops_what_is_stale_first() -> None:
    source, clock = Source(), Clock()
    reads = CachedReads(source.fetch, memory=ReadMemory(1.0), clock=clock, size=4)
    await asyncio.gather(*(reads.get(k) for k in (1, 2)))
    clock.now += 2  # 1 and 2 are stale
    await asyncio.gather(*(reads.get(k) for k in (3, 4, 5)))
    source.value = "b"
    assert [await reads.get(k) for k in (3, 4, 5)] == ["a3", "a4", "a5"]  # kept


async def test_a_sweep_drops_only_what_is_stale() -> None:
    source, clock, memory = Source(), Clock(), ReadMemory(5.0)
    reads = cached(source, memory, clock)
    await asyncio.gather(*(reads.get(k) for k in (1, 2)))
    clock.now += 3
    await reads.get(3)
    clock.now += 3  # 1 and 2 are stale, 3 is not
    memory.sweep()
    assert len(reads._kept) == 1
    source.value = "b"
    assert await reads.get(3) == "a3"
