"""Group commit: updates of every document, batched into few transactions.

Entries are committed in submission order. A batch closes when it holds ``max_batch`` entries
or its oldest entry has waited ``max_delay`` seconds; while one batch commits, the next fills.
Each update's future resolves to the sequence number it took when it was stored.

On a database error the batch is kept and retried with bounded backoff, so an entry is never
dropped: its future stays pending until the row is durable. Before a retry, updates that the
failed attempt stored after all (the connection broke while committing) are recognised and
resolved with their numbers, so nothing is stored twice. When the database refuses the rows
themselves (a constraint violation, a value it cannot hold, an unknown document), the batch is
retried one row at a time, so a single bad row cannot block the others: a refused row fails
its future with ``UpdateRejected``. Rows that could never be stored are refused by ``submit``
itself with ``ValueError``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from storage.document_log import DocumentLog, NewCheckpoint, NewUpdate
from storage.errors import StorageError, UnknownDocument, UpdateRejected
from storage.models import AUTHOR_LENGTH, ORIGIN_LENGTH

logger = logging.getLogger(__name__)

INITIAL_BACKOFF = 0.05
MAX_BACKOFF = 2.0


@dataclass(slots=True, eq=False)
class _Entry:
    item: NewUpdate | NewCheckpoint
    future: asyncio.Future[int]  # an update's sequence number; a checkpoint's own
    submitted_at: float


class GroupCommitter:
    """Batches appends from every document into one transaction; one per process.

    Use ``async with committer:`` or ``start()`` / ``stop()``; ``stop()`` commits everything
    submitted before it returns.
    """

    def __init__(
        self,
        log: DocumentLog,
        *,
        max_batch: int = 500,
        max_delay: float = 0.002,
        max_pending: int = 10_000,
        on_commit: Callable[[float, int], None] | None = None,
    ) -> None:
        if max_batch < 1 or max_delay < 0:
            raise ValueError("max_batch must be >= 1 and max_delay >= 0")
        self._log = log
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._max_pending = max_pending
        self._on_commit = on_commit
        self._queue: deque[_Entry] = deque()
        self._inflight: list[_Entry] = []
        self._signal = asyncio.Event()  # queue became non-empty or full, or stop requested
        self._submitted = 0
        self._finished = 0
        self._flush_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def pending(self) -> int:
        """Entries submitted and not yet committed (or rejected)."""
        return self._submitted - self._finished

    @property
    def full(self) -> bool:
        """Whether ``max_pending`` entries wait already (the database is down or far behind):
        callers should refuse new writes rather than submit them. ``submit`` itself never
        refuses, so that work already accepted is never dropped."""
        return self.pending >= self._max_pending

    async def start(self) -> None:
        """Start the background commit loop."""
        if self._task is not None:
            raise RuntimeError("GroupCommitter already started")
        self._task = asyncio.create_task(self._run(), name="storage-group-commit")

    async def stop(self) -> None:
        """Commit everything pending, then end the loop. Waits as long as the database does."""
        if self._task is None:
            return
        self._stopping = True
        self._signal.set()
        await self._task

    def submit(self, update: NewUpdate) -> asyncio.Future[int]:
        """Queue an update; the future resolves to its sequence number once it is committed.

        The future fails with ``UpdateRejected`` if the database refuses the row for good.

        Raises:
            RuntimeError: the committer is not running.
            ValueError: the row can never be stored (naive time, value out of range).
        """
        return self._enqueue(update)

    def submit_checkpoint(self, checkpoint: NewCheckpoint) -> asyncio.Future[int]:
        """Queue a checkpoint, committed with or after every update submitted before it.

        Raises:
            RuntimeError: the committer is not running.
            ValueError: the row can never be stored (naive time, value out of range).
        """
        return self._enqueue(checkpoint)

    async def flush(self) -> None:
        """Wait until everything submitted so far is committed (or rejected).

        The batch being filled is committed at once instead of after ``max_delay``.
        """
        target = self._submitted
        if self._finished >= target:
            return
        if self._task is None or self._task.done():
            raise RuntimeError("GroupCommitter is not running")
        waiter = asyncio.get_running_loop().create_future()
        self._flush_waiters.append((target, waiter))
        self._signal.set()  # commit now rather than after max_delay
        await waiter

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _enqueue(self, item: NewUpdate | NewCheckpoint) -> asyncio.Future[int]:
        if self._task is None or self._task.done():
            raise RuntimeError("GroupCommitter is not running")
        _check(item)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._queue.append(_Entry(item, future, loop.time()))
        self._submitted += 1
        if len(self._queue) == 1 or len(self._queue) >= self._max_batch:
            self._signal.set()
        return future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                if not self._queue:
                    if self._stopping:
                        return
                    self._signal.clear()
                    await self._signal.wait()
                    continue
                hurry = self._stopping or self._flush_waiters or len(self._queue) >= self._max_batch
                if not hurry:
                    remaining = self._queue[0].submitted_at + self._max_delay - loop.time()
                    if remaining > 0:
                        self._signal.clear()
                        try:
                            async with asyncio.timeout(remaining):
                                await self._signal.wait()
                        except TimeoutError:
                            pass
                        continue
                count = min(len(self._queue), self._max_batch)
                self._inflight = [self._queue.popleft() for _ in range(count)]
                await self._commit(self._inflight)
        except asyncio.CancelledError:
            self._abandon()
            raise

    async def _commit(self, batch: list[_Entry]) -> None:
        """Commit ``batch`` (emptying it), retrying until the database takes it."""
        backoff = INITIAL_BACKOFF
        one_by_one = False
        unsure = False  # an attempt failed: it may have been committed all the same
        while batch:
            try:
                if unsure:
                    await self._resolve_stored(batch)
                    unsure = False
                    continue
                if one_by_one:
                    await self._commit_each(batch)
                else:
                    await self._commit_together(batch)
            except Exception as exc:
                if _refused(exc) and not one_by_one:
                    logger.warning("batch of %d refused, retrying row by row: %s", len(batch), exc)
                    one_by_one = True
                    continue
                unsure = True
                logger.warning(
                    "commit of %d rows failed, retrying in %.2f s",
                    len(batch),
                    backoff,
                    exc_info=True,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    async def _commit_together(self, batch: list[_Entry]) -> None:
        updates = [e for e in batch if isinstance(e.item, NewUpdate)]
        checkpoints = [e.item for e in batch if isinstance(e.item, NewCheckpoint)]
        started = time.perf_counter()
        seqs = await self._log.append([_as_update(e) for e in updates], checkpoints)
        self._committed(batch, time.perf_counter() - started, dict(zip(updates, seqs, strict=True)))
        batch.clear()

    async def _commit_each(self, batch: list[_Entry]) -> None:
        while batch:
            entry = batch[0]
            item = entry.item
            started = time.perf_counter()
            try:
                if isinstance(item, NewUpdate):
                    seqs = await self._log.append([item])
                else:
                    seqs = await self._log.append([], [item])
            except Exception as exc:
                if not _refused(exc):
                    raise
                error = _refusal(item, exc)
                logger.error("row rejected: %s", error)
                self._finish([entry], error)
            else:
                numbers = {entry: seqs[0]} if seqs else {}
                self._committed([entry], time.perf_counter() - started, numbers)
            del batch[0]

    async def _resolve_stored(self, batch: list[_Entry]) -> None:
        """Resolve the updates of ``batch`` that a failed attempt stored after all."""
        updates = [e for e in batch if isinstance(e.item, NewUpdate)]
        if not updates:
            return
        stored = await self._log.stored_numbers([_as_update(e) for e in updates])
        if not stored:
            return
        done = {updates[position]: seq for position, seq in stored.items()}
        logger.warning("%d rows of an unconfirmed commit were stored after all", len(done))
        self._finish(list(done), None, done)
        batch[:] = [e for e in batch if e not in done]

    def _committed(
        self, entries: list[_Entry], duration: float, numbers: dict[_Entry, int]
    ) -> None:
        self._finish(entries, None, numbers)
        if self._on_commit is not None:
            try:
                self._on_commit(duration, len(entries))
            except Exception:
                logger.exception("on_commit callback failed")

    def _finish(
        self,
        entries: list[_Entry],
        error: StorageError | None,
        numbers: dict[_Entry, int] | None = None,
    ) -> None:
        for entry in entries:
            if not entry.future.done():  # the submitter may have cancelled its wait
                if error is None:
                    item = entry.item
                    seq = item.seq if isinstance(item, NewCheckpoint) else (numbers or {})[entry]
                    entry.future.set_result(seq)
                else:
                    entry.future.set_exception(error)
        self._finished += len(entries)
        if self._flush_waiters:
            waiting = []
            for target, waiter in self._flush_waiters:
                if self._finished < target:
                    waiting.append((target, waiter))
                elif not waiter.done():
                    waiter.set_result(None)
            self._flush_waiters = waiting

    def _abandon(self) -> None:
        """The loop was cancelled: fail what is left so no one waits forever."""
        left = [*self._inflight, *self._queue]
        self._inflight = []
        self._queue.clear()
        if left:
            logger.error("group commit cancelled with %d rows not confirmed", len(left))
            self._finish(left, StorageError("group commit cancelled before the row was confirmed"))


def _as_update(entry: _Entry) -> NewUpdate:
    assert isinstance(entry.item, NewUpdate)
    return entry.item


def _refusal(item: NewUpdate | NewCheckpoint, exc: Exception) -> UpdateRejected:
    """Why the database refused ``item``."""
    if isinstance(item, NewUpdate):
        where = f"an update of document {item.document_id}"
    else:
        where = f"checkpoint {item.seq} of document {item.document_id}"
    reason = exc.orig if isinstance(exc, DBAPIError) else exc.__cause__ or exc
    return UpdateRejected(f"{where} refused: {reason}")


def _check(item: NewUpdate | NewCheckpoint) -> None:
    """Refuse at once a row the database could never take (it would stall the batch)."""
    problem = None
    if item.created_at.utcoffset() is None:
        problem = "created_at must be timezone-aware"
    elif isinstance(item, NewCheckpoint) and not 0 <= item.seq < 2**63:
        problem = "seq out of range"
    elif not isinstance(item.data if isinstance(item, NewUpdate) else item.state, bytes):
        problem = "data must be bytes"
    elif isinstance(item, NewUpdate):
        if item.client_id is not None and not 0 <= item.client_id < 2**63:
            problem = "client_id out of range"
        elif len(item.origin) > ORIGIN_LENGTH:
            problem = f"origin longer than {ORIGIN_LENGTH}"
        elif item.author is not None and len(item.author) > AUTHOR_LENGTH:
            problem = f"author longer than {AUTHOR_LENGTH}"
    if problem is not None:
        raise ValueError(f"{problem}: {item!r}"[:500])


def _refused(exc: Exception) -> bool:
    """Whether the database refused the rows themselves, so retrying them unchanged is futile.

    Constraint violations, values the column cannot hold, and values that could not even be
    bound. Anything else (lost connection, lock timeout, restart) is worth retrying.
    """
    if isinstance(
        exc, IntegrityError | DataError | UnknownDocument | OverflowError | TypeError | ValueError
    ):
        return True
    if isinstance(exc, DBAPIError):  # PostgreSQL: SQLSTATE class 22 is "data exception"
        return str(getattr(exc.orig, "sqlstate", "") or "").startswith("22")
    return isinstance(exc, StatementError)  # failed while binding parameters
