"""The event loop watch (server/metrics.py): a loop kept by the server's own work shows as
busy; a loop kept waiting without working (a paused process, a machine without a free core)
shows only as late."""

from __future__ import annotations

import asyncio
import contextlib
import time

from server.metrics import Metrics, watch_loop


def _over(histogram_name: str, metrics: Metrics, bound: float) -> float:
    """Observations of ``histogram_name`` above ``bound`` (one of its bucket bounds)."""
    count = under = None
    for family in metrics.registry.collect():
        for sample in family.samples:
            if sample.name == f"{histogram_name}_count":
                count = sample.value
            if sample.name == f"{histogram_name}_bucket" and sample.labels["le"] == str(bound):
                under = sample.value
    assert count is not None
    assert under is not None
    return count - under


def _spin(seconds: float) -> None:
    ends = time.thread_time() + seconds
    while time.thread_time() < ends:
        pass


async def _watched(block: float, work: bool) -> Metrics:
    metrics = Metrics()
    watch = asyncio.create_task(watch_loop(metrics, tick=0.05))
    await asyncio.sleep(0.12)  # a few quiet ticks first
    if work:
        _spin(block)  # the loop's thread works: nothing else runs meanwhile
    else:
        time.sleep(block)  # noqa: ASYNC251 - the loop waits without working, on purpose
    await asyncio.sleep(0.12)
    watch.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watch
    return metrics


async def test_a_loop_kept_by_work_is_busy_and_late() -> None:
    metrics = await _watched(0.3, work=True)
    assert _over("veche_event_loop_busy_seconds", metrics, 0.25) == 1
    # at least: on a busy machine another tick may also wait for a core
    assert _over("veche_event_loop_late_seconds", metrics, 0.1) >= 1


async def test_a_loop_kept_waiting_is_late_but_not_busy() -> None:
    metrics = await _watched(0.3, work=False)
    assert _over("veche_event_loop_late_seconds", metrics, 0.1) >= 1
    assert _over("veche_event_loop_busy_seconds", metrics, 0.25) == 0
