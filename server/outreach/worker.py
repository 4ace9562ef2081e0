"""The outbox worker: claims due deliveries, sends them, logs each attempt, retries later.

One loop per process (`run`, given to the `TaskSupervisor`). It wakes on `nudge` (a
delivery was committed by this process), when the earliest pending row falls due, and at
least every ``idle_seconds`` (rows committed by other processes). Each round claims batches
of at most ``batch_size`` rows and sends at most ``concurrency`` at once.

Delivery is *at least once*. A claim is a lease: the row's next attempt moves past the lease,
so if this process dies while sending, the row is due again when the lease runs out and
another worker sends it — possibly a second time, when the first send got through but its
outcome was never recorded. Receivers de-duplicate by ``webhook-id`` (e-mail: Message-ID).
An attempt is bounded by ``attempt_timeout``, well inside the lease, so a live worker's row
is never claimed twice.

Failures are retried after `RETRY_SCHEDULE` (10 s, 1 min, 5 min, 30 min, 2 h, 6 h), each
delay stretched by up to `JITTER` so receivers that fail together are not retried together;
after the last one the row is *failed*. A 410 from a webhook receiver fails the row and
disables its endpoint; an SMTP recipient refused for good (5xx) fails at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from server.outreach import OutreachError
from server.outreach.email import Letter
from server.outreach.outcomes import Outcome, Reply
from server.outreach.webhooks import body_of, signed_headers
from storage.models import utc_now
from storage.outreach import AttemptResult, ClaimedDelivery, OutboxStore

log = logging.getLogger(__name__)

RETRY_SCHEDULE: tuple[timedelta, ...] = tuple(
    timedelta(seconds=s) for s in (10, 60, 300, 1800, 7200, 21600)
)
JITTER = 0.2  # each delay is stretched by a random 0 to 20 %
FAILED_ROUND_SECONDS = 5.0  # after a round that failed (the database is unreachable)
SPIN_GUARD_SECONDS = 0.05  # a row is due but was not claimed (another process holds it)
PRUNE_EVERY_SECONDS = 3600.0


def retry_delay(
    attempts: int, draw: float, schedule: Sequence[timedelta] = RETRY_SCHEDULE
) -> timedelta | None:
    """The wait after the ``attempts``-th attempt failed, or None: no attempt is left.

    ``draw`` in [0, 1) picks the jitter, so the schedule is a pure function for tests.
    """
    if not 1 <= attempts <= len(schedule):
        return None
    return schedule[attempts - 1] * (1 + JITTER * draw)


class Mailer(Protocol):
    async def send_letter(self, letter: Letter, *, message_id: str, date: datetime) -> Reply: ...


class WebhookPoster(Protocol):
    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Reply: ...


class OutboxWorker:
    def __init__(
        self,
        outbox: OutboxStore,
        *,
        mailer: Mailer | None,
        webhooks: WebhookPoster | None,
        clock: Callable[[], datetime] = utc_now,
        draw: Callable[[], float] = random.random,
        batch_size: int = 20,
        concurrency: int = 4,
        attempt_timeout: float = 30.0,
        lease: timedelta = timedelta(minutes=2),
        schedule: Sequence[timedelta] = RETRY_SCHEDULE,
        idle_seconds: float = 30.0,
        retention: timedelta = timedelta(days=30),
        max_batches: int = 50,
    ) -> None:
        if not 1 <= concurrency <= batch_size <= 1000:
            raise ValueError("need 1 <= concurrency <= batch_size <= 1000")
        if lease.total_seconds() < 2 * attempt_timeout:
            raise ValueError("the lease must outlast an attempt twice over")
        self._outbox, self._mailer, self._webhooks = outbox, mailer, webhooks
        self._clock, self._draw = clock, draw
        self._batch_size, self._max_batches = batch_size, max_batches
        self._slots = asyncio.Semaphore(concurrency)
        self._attempt_timeout, self._lease = attempt_timeout, lease
        self._schedule = tuple(schedule)
        self._idle_seconds, self._retention = idle_seconds, retention
        # a channel with no transport here stays pending (for a process that has one)
        self._channels = tuple(
            name for name, way in (("email", mailer), ("webhook", webhooks)) if way is not None
        )
        self._wake = asyncio.Event()
        self._pruned_at: float | None = None

    def nudge(self) -> None:
        """Look for due rows now (this process committed a delivery)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; a failed round is logged and tried again."""
        while True:
            self._wake.clear()
            try:
                await self.deliver_due()
                await self._prune()
                wait = await self._wait_seconds()
            except Exception:
                log.warning("the outbox round failed; trying again", exc_info=True)
                wait = FAILED_ROUND_SECONDS
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def deliver_due(self) -> int:
        """Claim and deliver what is due now, in at most ``max_batches`` batches; returns
        how many deliveries were attempted."""
        attempted = 0
        for _ in range(self._max_batches):
            batch = await self._outbox.claim(
                self._clock(), self._batch_size, self._lease, channels=self._channels
            )
            if batch:
                async with asyncio.TaskGroup() as group:
                    for delivery in batch:
                        group.create_task(self._deliver(delivery))
                attempted += len(batch)
            if len(batch) < self._batch_size:
                break
        return attempted

    async def _wait_seconds(self) -> float:
        due = await self._outbox.next_due(self._channels)
        if due is None:
            return self._idle_seconds
        wait = (due - self._clock()).total_seconds()
        return min(self._idle_seconds, max(SPIN_GUARD_SECONDS, wait))

    async def _prune(self) -> None:
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        await self._outbox.prune(self._clock() - self._retention)

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        async with self._slots:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self._attempt_timeout):
                    reply = await self._send(delivery)
            except TimeoutError:
                reply = Reply(Outcome.RETRY, None, f"no answer within {self._attempt_timeout} s")
            except (OutreachError, KeyError, TypeError, ValueError) as error:
                reply = Reply(Outcome.FAILED, None, f"undeliverable: {error}")
            except Exception as error:  # a bug here must not stop the batch's other rows
                log.exception("delivering %s failed", delivery.message_id)
                reply = Reply(Outcome.RETRY, None, f"{type(error).__name__}: {error}")
            duration_ms = round((time.monotonic() - started) * 1000)
        now = self._clock()
        outcome, retry_at = reply.outcome, None
        if outcome is Outcome.RETRY:
            delay = retry_delay(delivery.attempts, self._draw(), self._schedule)
            if delay is None:
                outcome = Outcome.FAILED
            else:
                retry_at = now + delay
        result = AttemptResult(str(outcome), reply.status, reply.text, duration_ms)
        try:
            kept = await self._outbox.finish(delivery, result, now, retry_at=retry_at)
        except Exception:  # the lease runs out and the row is tried again
            log.warning("recording delivery %s failed", delivery.message_id, exc_info=True)
            return
        if not kept:
            log.warning("delivery %s outlived its lease", delivery.message_id)

    async def _send(self, delivery: ClaimedDelivery) -> Reply:
        if delivery.channel == "email":
            if self._mailer is None or delivery.recipient is None:
                return Reply(Outcome.FAILED, None, "no mailer, or no recipient")
            letter = Letter.from_payload(delivery.recipient, delivery.payload)
            return await self._mailer.send_letter(
                letter, message_id=delivery.message_id, date=self._clock()
            )
        if delivery.channel == "webhook":
            if self._webhooks is None or delivery.url is None:
                return Reply(Outcome.FAILED, None, "no webhook sender, or no endpoint")
            body = body_of(delivery.payload)
            headers = signed_headers(delivery.message_id, self._clock(), body, delivery.secrets)
            return await self._webhooks.post(delivery.url, headers, body)
        return Reply(Outcome.FAILED, None, f"unknown channel {delivery.channel!r}")
