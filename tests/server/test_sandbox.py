"""The CRDT sandbox's deadlines are seconds of its worker's CPU time, with a wall-clock
backstop (server/documents/sandbox.py, docs/crdt-isolation.md): a cheap job that waits for a
core is not taken for a costly one, a costly job is stopped by the worker's own timer, and a
worker that gets no CPU at all is ended by the backstop. Each refusal replaces the worker."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator

import pytest

from server.documents.sandbox import WALL_FACTOR, WALL_SLACK, CrdtSandbox, TooCostly
from tests.support.ydocs import prepends, typed


@pytest.fixture
async def sandbox() -> AsyncIterator[CrdtSandbox]:
    running = CrdtSandbox("pycrdt", workers=1)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_cheap_trial_kept_off_the_cpu_past_its_deadline_is_kept(
    sandbox: CrdtSandbox,
) -> None:
    (pid,) = sandbox.worker_pids()
    os.kill(pid, signal.SIGSTOP)  # wall time passes, the worker's CPU time does not
    try:
        trial = asyncio.create_task(
            sandbox.trial(typed(1, "добър ден"), typed(2, "!"), deadline=0.3)
        )
        await asyncio.sleep(1.0)  # past the deadline in wall time
        assert not trial.done()
    finally:
        os.kill(pid, signal.SIGCONT)
    tried = await asyncio.wait_for(trial, 30)
    assert tried.added_items > 0
    assert sandbox.worker_pids() == [pid]  # the same worker, not replaced


async def test_a_costly_trial_is_stopped_by_the_workers_cpu_timer(sandbox: CrdtSandbox) -> None:
    state, costly = prepends(1, 6000), prepends(2, 6000)  # seconds of integration
    # several rounds: the worker's end is told apart from other deaths by its exit status,
    # which a careless kill after the end used to lose (reported as 255) about a third of
    # the time
    for _ in range(4):
        (pid,) = sandbox.worker_pids()
        started = time.monotonic()
        with pytest.raises(TooCostly, match=r"0\.2 s of CPU time"):
            await sandbox.trial(state, costly, deadline=0.2)
        # ended by its CPU timer, long before the wall-clock backstop
        assert time.monotonic() - started < 0.2 * WALL_FACTOR + WALL_SLACK
        (replacement,) = sandbox.worker_pids()
        assert replacement != pid
    tried = await sandbox.trial(typed(1, "a"), typed(2, "b"), deadline=1.0)
    assert tried.added_items > 0


async def test_a_worker_that_gets_no_cpu_is_ended_by_the_backstop(sandbox: CrdtSandbox) -> None:
    (pid,) = sandbox.worker_pids()
    os.kill(pid, signal.SIGSTOP)  # stopped for good: only the backstop can end the job
    started = time.monotonic()
    with pytest.raises(TooCostly, match="took longer than"):
        await sandbox.trial(typed(1, "a"), typed(2, "b"), deadline=0.1)
    waited = time.monotonic() - started
    assert 0.1 * WALL_FACTOR + WALL_SLACK <= waited < 30
    (replacement,) = sandbox.worker_pids()
    assert replacement != pid
    with pytest.raises(ProcessLookupError):  # the stopped worker was killed and reaped
        os.kill(pid, 0)
    tried = await sandbox.trial(typed(1, "a"), typed(2, "b"), deadline=1.0)
    assert tried.added_items > 0
