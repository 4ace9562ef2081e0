"""The one owner of the server's background tasks.

`Services` creates a `TaskSupervisor` first and stops it last. A service that needs work
done in the background — a loop such as the access reviewer, or fire-and-forget work such
as a tally push or a departure announced after its grace — gives it to `spawn`. The
supervisor keeps each task until it ends, logs a failure with its traceback (a cancellation
is no failure), and on `stop` cancels whatever still runs and waits for it. A task that lives
exactly as long as one connection (its writer, its reader) belongs to that connection's
handler instead, which awaits it when the socket closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskSupervisor:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, name: str | None = None
    ) -> asyncio.Task[Any]:
        """Run ``work`` in the background until it ends or the supervisor stops."""
        if self._stopping:
            work.close()  # never started: no "coroutine was never awaited" warning
            raise RuntimeError("the supervisor is stopping: no new background work")
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        failure = task.exception()
        if failure is not None:
            log.error(
                "background task %s failed",
                task.get_name(),
                exc_info=(type(failure), failure, failure.__traceback__),
            )

    async def stop(self) -> None:
        """Cancel every task still running and wait until each has ended."""
        self._stopping = True
        while self._tasks:
            pending = list(self._tasks)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def scope(self) -> TaskScope:
        """A share of this supervisor for one owner (a document registry, a live room),
        which can cancel its own tasks when it stops before the server does."""
        return TaskScope(self)


class TaskScope:
    """The tasks one owner gave to the supervisor; the supervisor still logs and stops them."""

    def __init__(self, supervisor: TaskSupervisor) -> None:
        self.supervisor = supervisor
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, name: str | None = None
    ) -> asyncio.Task[Any]:
        task = self.supervisor.spawn(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait(self, timeout: float) -> None:
        """Let this owner's tasks finish, for at most ``timeout`` seconds."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def cancel(self) -> None:
        """Cancel this owner's tasks and wait until each has ended."""
        while self._tasks:
            pending = list(self._tasks)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


async def every(seconds: float, job: Callable[[], Awaitable[None]], what: str) -> None:
    """Run ``job`` every ``seconds``, forever (until cancelled). A round that fails is
    logged as ``what`` failing, and the next round runs: one bad round must not end a
    watch that the service relies on."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception:
            log.warning("%s failed; trying again in %s s", what, seconds, exc_info=True)
