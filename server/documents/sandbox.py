"""CRDT work that may be costly runs here, in worker processes the server can kill.

Yjs and Yrs integrate some updates in quadratic time (thousands of concurrent inserts at one
place), and pycrdt holds the GIL while it integrates, so neither a thread nor a timer can stop
it. The server therefore integrates in its own process only what a bound proves cheap
(crdt/cost.py); anything else is first done here, in a worker process with a deadline, and
the server takes it only if the worker measured it cheap. A job's deadline is in seconds of the
worker's CPU time (the worker's own timer ends it, `sandbox_worker.py`), so a busy machine
delays cheap work without refusing it; a wall-clock backstop of ``WALL_FACTOR`` times the
deadline plus ``WALL_SLACK`` seconds ends a worker that gets no CPU at all. A job that runs
past either ends its worker (a new one starts) and counts as too costly.
docs/crdt-isolation.md has the rules, the limits and the figures.

Each job is one request/response over the worker's stdin/stdout (4-byte length + payload, see
`sandbox_worker.py`). Workers are started at `start()` so that no request waits for Python to
boot; at most ``queue_limit`` jobs wait for a worker, beyond that `SandboxBusy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from server.documents.sandbox_worker import (
    _LENGTH,
    _LOADED,
    _TRIED,
    LOAD,
    OK,
    TRIAL,
    pack_job,
)

log = logging.getLogger(__name__)

# A job's wall-clock backstop: its CPU deadline times this, plus this many seconds. Only a
# worker that gets almost no CPU (a starved machine, a stopped process) reaches it.
WALL_FACTOR = 5.0
WALL_SLACK = 2.0
EXIT_WAIT = 2.0  # how long a worker whose output closed is given to end before it is killed


class SandboxError(Exception):
    """Root of the sandbox's errors.

    Hierarchy::

        SandboxError
        ├── TooCostly       the job ran past its CPU deadline or the wall-clock backstop
        │                   (its worker ended)
        ├── SandboxBusy     too many jobs wait for a worker
        └── SandboxRefused  the worker refused the update (malformed for the binding)
    """


class TooCostly(SandboxError):
    """The work did not finish within its deadline (CPU time) or its backstop (wall time)."""


class SandboxBusy(SandboxError):
    """Every worker is busy and the queue is full: try again later."""


class SandboxRefused(SandboxError):
    """The binding refused the update or the stored parts."""


@dataclass(frozen=True)
class Loaded:
    """A document replayed in a worker: its compacted state and what loading it cost."""

    state: bytes
    items: int
    replay_seconds: float  # replaying the parts as given
    load_seconds: float  # loading ``state`` into a fresh document


@dataclass(frozen=True)
class Tried:
    """An update applied in a worker: what it cost and what the server needs to take it."""

    seconds: float  # validating and integrating it
    native_seconds: float  # integrating it (what the server pays to take it validated)
    added_items: int
    primary_client: int | None


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def run(self, request: bytes) -> bytes:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(_LENGTH.pack(len(request)) + request)
        await stdin.drain()
        (length,) = _LENGTH.unpack(await stdout.readexactly(_LENGTH.size))
        return await stdout.readexactly(length)

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        await self.process.wait()

    async def exit_status(self) -> int | None:
        """How a worker whose output closed ended. It is left for asyncio's child watcher to
        reap: killing it first would reap it here (Popen checks whether the process lives
        before it signals it), and the watcher would then report 255 instead of SIGPROF.
        Killed only if it is still there after ``EXIT_WAIT`` seconds."""
        try:
            return await asyncio.wait_for(self.process.wait(), EXIT_WAIT)
        except TimeoutError:
            await self.kill()
            return self.process.returncode


class CrdtSandbox:
    """A few worker processes that load and try CRDT work under a deadline."""

    def __init__(self, backend: str, *, workers: int = 1, queue_limit: int = 64) -> None:
        self._backend = backend
        self._size = workers
        self._queue_limit = queue_limit
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._waiting = 0
        self._stopped = False

    async def start(self) -> None:
        for _ in range(self._size):
            self._idle.put_nowait(await self._spawn())

    async def stop(self) -> None:
        self._stopped = True
        for worker in list(self._all):
            await worker.kill()
        self._all.clear()

    def worker_pids(self) -> list[int]:
        """The process ids of the workers now running."""
        return [worker.process.pid for worker in self._all]

    async def load(self, parts: Sequence[bytes], *, deadline: float) -> Loaded:
        """Replay ``parts`` (a checkpoint and updates) and compact them, within ``deadline``
        seconds of the worker's CPU time.

        Raises TooCostly, SandboxBusy or SandboxRefused.
        """
        reply = await self._run(pack_job(LOAD, deadline, list(parts)), deadline)
        replay, load, items = _LOADED.unpack_from(reply)
        return Loaded(reply[_LOADED.size :], items, replay, load)

    async def trial(self, state: bytes, update: bytes, *, deadline: float) -> Tried:
        """Apply ``update`` on top of ``state`` and time its integration, within ``deadline``
        seconds of the worker's CPU time.

        Raises TooCostly, SandboxBusy or SandboxRefused.
        """
        reply = await self._run(pack_job(TRIAL, deadline, [state, update]), deadline)
        seconds, native, added, client = _TRIED.unpack_from(reply)
        return Tried(seconds, native, added, None if client < 0 else client)

    async def _run(self, request: bytes, deadline: float) -> bytes:
        if self._stopped:
            raise SandboxBusy("the server is stopping")
        if self._waiting >= self._queue_limit:
            raise SandboxBusy(f"{self._waiting} CRDT jobs wait for a worker")
        self._waiting += 1
        try:
            worker = await self._idle.get()
        finally:
            self._waiting -= 1
        started = time.monotonic()
        backstop = deadline * WALL_FACTOR + WALL_SLACK
        try:
            reply = await asyncio.wait_for(worker.run(request), backstop)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
            self._all.discard(worker)
            if isinstance(exc, TimeoutError):
                await worker.kill()
                self._idle.put_nowait(await self._spawn())
                raise TooCostly(f"CRDT work took longer than {backstop:g} s") from None
            ended = await worker.exit_status()
            self._idle.put_nowait(await self._spawn())
            if ended == -signal.SIGPROF:  # its own CPU timer ended it
                raise TooCostly(f"CRDT work ran past {deadline:g} s of CPU time") from None
            log.error("a CRDT worker died (exit status %s)", ended, exc_info=exc)
            raise TooCostly(f"the CRDT worker died (exit status {ended})") from exc
        except BaseException:
            # Cancelled half-way: the worker's stream is out of step, replace it.
            self._all.discard(worker)
            await worker.kill()
            self._idle.put_nowait(await self._spawn())
            raise
        self._idle.put_nowait(worker)
        log.debug("CRDT job took %.1f ms", (time.monotonic() - started) * 1000)
        if reply[0] != OK:
            raise SandboxRefused(reply[1:].decode(errors="replace"))
        return reply[1:]

    async def _spawn(self) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.documents.sandbox_worker",
            self._backend,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        worker = _Worker(process)
        self._all.add(worker)
        return worker
