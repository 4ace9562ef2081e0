"""One owner for background tasks (server/supervisor.py) and name locks that do not pile up
(server/documents/locks.py)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from server.documents.connection import BucketTable
from server.documents.locks import NameLocks
from server.supervisor import TaskSupervisor, every
from storage.origins import Origin
from tests.support.server import RunningServer


async def test_a_failure_is_logged_a_cancellation_is_not_and_stop_ends_everything(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = TaskSupervisor()
    started = asyncio.Event()

    async def fails() -> None:
        raise ValueError("broken")

    async def runs_forever() -> None:
        started.set()
        await asyncio.Event().wait()

    with caplog.at_level(logging.ERROR, logger="server.supervisor"):
        failing = supervisor.spawn(fails(), name="failing")
        await asyncio.gather(failing, return_exceptions=True)
        await asyncio.sleep(0)  # the done callback runs
        forever = supervisor.spawn(runs_forever(), name="forever")
        scope = supervisor.scope()
        mine = scope.spawn(runs_forever(), name="scoped")
        await started.wait()
        assert len(supervisor) == 2
        await scope.cancel()  # only the scope's own task
        assert mine.cancelled()
        assert not forever.done()
        await supervisor.stop()
    assert forever.cancelled()
    assert len(supervisor) == 0
    assert [r.getMessage() for r in caplog.records] == ["background task failing failed"]
    refused = runs_forever()
    with pytest.raises(RuntimeError):
        supervisor.spawn(refused)


async def test_a_name_lock_lives_only_while_held_or_awaited() -> None:
    locks = NameLocks()
    order: list[int] = []

    async def use(n: int) -> None:
        async with locks.hold("док"):
            order.append(n)
            await asyncio.sleep(0.001)

    await asyncio.gather(*(use(n) for n in range(20)))
    assert sorted(order) == list(range(20))
    assert len(locks) == 0


async def test_the_registry_keeps_no_lock_for_documents_it_served(server: RunningServer) -> None:
    documents = server.app.state.services.documents  # type: ignore[attr-defined]
    names = [f"doc-{n}" for n in range(40)]

    def nothing(_document: object) -> None:
        return None

    # each name loaded, several times at once for the first one
    await asyncio.gather(
        *(
            documents.apply_server_update(name, nothing, author=None, origin=Origin.SERVER)
            for name in [*names, *[names[0]] * 10]
        )
    )
    assert len(documents._locks) == 0  # none kept for names nobody holds


async def test_refilled_rate_buckets_are_dropped_and_limits_still_hold() -> None:
    table = BucketTable(rate=1000.0, burst=2, floor=8)
    for member in range(100):
        assert table.delay(("room", member))[0] == 0.0
    await asyncio.sleep(0.02)  # every bucket refills (2 tokens at 1,000 a second)
    table.sweep(time.monotonic())
    assert len(table) == 0
    slow = BucketTable(rate=1.0, burst=2)
    waits = [slow.delay("member")[0] for _ in range(3)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] > 0.5  # the third write within a second still waits
    assert len(slow) == 1


async def test_a_repeated_job_goes_on_after_a_failed_round(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []
    third = asyncio.Event()

    async def job() -> None:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 3:
            third.set()
        if len(rounds) == 1:
            raise RuntimeError("the database does not answer")

    supervisor = TaskSupervisor()
    supervisor.spawn(every(0.01, job, "the test's watch"), name="watch")
    async with asyncio.timeout(5):
        await third.wait()
    await supervisor.stop()
    assert rounds[:3] == [1, 2, 3]
    failed = [r for r in caplog.records if "the test's watch failed" in r.getMessage()]
    assert len(failed) == 1
    assert failed[0].exc_info is not None
