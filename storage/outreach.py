"""The outbox of e-mails and webhooks, and the delivery log (endpoints: webhook_endpoints.py).

Deliveries are added with `enqueue_email` and `enqueue_webhooks` (storage/outbox_enqueue.py)
in the caller's transaction.

`OutboxStore.claim` hands due rows to a worker under a *lease*: it counts the attempt and
moves the row's next attempt past the lease, so a row whose worker died is due again when the
lease runs out (at least once; receivers de-duplicate by message id). `finish` records the
outcome only while the lease is still the worker's, and logs every attempt. Values checked
here are the database's; the texts, addresses and URLs are checked by ``server.outreach``.
docs/notifications.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.outreach_models import (
    CHANNELS,
    ERROR_LENGTH,
    DeliveryAttemptRecord,
    OutboxRecord,
    WebhookEndpointRecord,
)
from storage.records import detached

__all__ = [
    "DISABLED_ENDPOINT",
    "AttemptResult",
    "ClaimedDelivery",
    "DeliveryAttempt",
    "OutboxEntry",
    "OutboxStore",
]

DISABLED_ENDPOINT = "the webhook endpoint is disabled"


@dataclass(frozen=True)
class OutboxEntry:
    """An outbox row as it stands (what was sent where, and how far it got)."""

    id: int
    message_id: str
    channel: str
    event_type: str
    user_id: int | None
    recipient: str | None
    endpoint_id: int | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class ClaimedDelivery:
    """A row claimed by a worker: everything needed to deliver it once, and its lease.

    ``secrets`` are the webhook secrets that sign now: the current one, and the previous one
    while its rotation overlap lasts."""

    id: int
    message_id: str
    channel: str
    event_type: str
    user_id: int | None
    recipient: str | None
    endpoint_id: int | None
    url: str | None
    secrets: tuple[str, ...]
    payload: dict[str, Any]
    attempts: int
    lease: str
    created_at: datetime


@dataclass(frozen=True)
class AttemptResult:
    """How one attempt ended: ``outcome`` is delivered, retry, failed (given up) or gone (the
    webhook endpoint answered 410 and is disabled); ``status`` an HTTP status or SMTP code."""

    outcome: str
    status: int | None
    reply: str | None
    duration_ms: int


@dataclass(frozen=True)
class DeliveryAttempt:
    id: int
    outbox_id: int
    at: datetime
    outcome: str
    status: int | None
    reply: str | None
    duration_ms: int


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_LENGTH]


class OutboxStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker

    async def claim(
        self,
        now: datetime,
        limit: int,
        lease_for: timedelta,
        *,
        channels: Collection[str] = CHANNELS,
    ) -> list[ClaimedDelivery]:
        """Claim up to ``limit`` due rows of ``channels``, oldest first, for ``lease_for``.

        On PostgreSQL the due rows are locked with ``SKIP LOCKED``, so workers of several
        processes claim disjoint batches; SQLite has one writer at a time anyway. A row whose
        webhook endpoint is disabled is given up here, with one line in the delivery log.
        """
        due = (
            select(OutboxRecord.id)
            .where(
                OutboxRecord.state == "pending",
                OutboxRecord.next_attempt_at <= now,
                OutboxRecord.channel.in_(channels),
            )
            .order_by(OutboxRecord.next_attempt_at, OutboxRecord.id)
            .limit(limit)
        )
        if self._database.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        lease = secrets.token_hex(16)
        async with self._database.writing() as session:
            ids = list((await session.scalars(due)).all())
            if not ids:
                return []
            await session.execute(
                update(OutboxRecord)
                .where(OutboxRecord.id.in_(ids))
                .values(
                    attempts=OutboxRecord.attempts + 1,
                    next_attempt_at=now + lease_for,
                    lease=lease,
                )
            )
            rows = await session.execute(
                select(OutboxRecord, WebhookEndpointRecord)
                .outerjoin(
                    WebhookEndpointRecord, WebhookEndpointRecord.id == OutboxRecord.endpoint_id
                )
                .where(OutboxRecord.id.in_(ids))
                .order_by(OutboxRecord.next_attempt_at, OutboxRecord.id)
                .execution_options(populate_existing=True)
            )
            claimed: list[ClaimedDelivery] = []
            for outbox, endpoint in rows:
                if endpoint is not None and endpoint.disabled_at is not None:
                    _give_up_disabled(session, outbox, now)
                    continue
                claimed.append(_claimed(outbox, endpoint, lease, now))
        return claimed

    async def finish(
        self,
        delivery: ClaimedDelivery,
        result: AttemptResult,
        now: datetime,
        *,
        retry_at: datetime | None = None,
    ) -> bool:
        """Record one attempt and its outcome; with ``retry`` the row is due at ``retry_at``.

        The attempt is logged in any case. The row changes only while ``delivery``'s lease
        is still current (False otherwise: the lease ran out and another worker claimed it).
        An outcome of ``gone`` disables the row's webhook endpoint as well.
        """
        values: dict[str, Any] = {"lease": None, "last_error": _clip(result.reply)}
        if result.outcome == "delivered":
            values.update(state="delivered", delivered_at=now, last_error=None)
        elif result.outcome == "retry":
            if retry_at is None:
                raise ValueError("a retry needs its time (retry_at)")
            values.update(state="pending", next_attempt_at=retry_at)
        elif result.outcome in ("failed", "gone"):
            values.update(state="failed")
        else:
            raise ValueError(f"unknown outcome {result.outcome!r}")
        async with self._database.writing() as session:
            changed = await session.execute(
                update(OutboxRecord)
                .where(OutboxRecord.id == delivery.id, OutboxRecord.lease == delivery.lease)
                .values(**values)
            )
            session.add(
                DeliveryAttemptRecord(
                    outbox_id=delivery.id,
                    at=now,
                    outcome=result.outcome,
                    status=result.status,
                    reply=_clip(result.reply),
                    duration_ms=result.duration_ms,
                )
            )
            if result.outcome == "gone" and delivery.endpoint_id is not None:
                await session.execute(
                    update(WebhookEndpointRecord)
                    .where(
                        WebhookEndpointRecord.id == delivery.endpoint_id,
                        WebhookEndpointRecord.disabled_at.is_(None),
                    )
                    .values(disabled_at=now, disabled_reason=_clip(result.reply))
                )
        return bool(changed.rowcount == 1)  # type: ignore[attr-defined]

    async def next_due(self, channels: Collection[str] = CHANNELS) -> datetime | None:
        """When the earliest pending row of ``channels`` is due (a claimed row: when its
        lease runs out)."""
        query = select(func.min(OutboxRecord.next_attempt_at)).where(
            OutboxRecord.state == "pending", OutboxRecord.channel.in_(channels)
        )
        async with self._database.single_reads() as session:
            earliest: datetime | None = await session.scalar(query)
        return earliest

    async def get(self, outbox_id: int) -> OutboxEntry | None:
        async with self._database.single_reads() as session:
            record = await session.get(OutboxRecord, outbox_id)
        return None if record is None else detached(OutboxEntry, record)

    async def find(self, message_id: str) -> OutboxEntry | None:
        query = select(OutboxRecord).where(OutboxRecord.message_id == message_id)
        async with self._database.single_reads() as session:
            record = await session.scalar(query)
        return None if record is None else detached(OutboxEntry, record)

    async def for_endpoint(self, endpoint_id: int, limit: int = 50) -> list[OutboxEntry]:
        """The newest deliveries to one webhook endpoint, newest first."""
        query = (
            select(OutboxRecord)
            .where(OutboxRecord.endpoint_id == endpoint_id)
            .order_by(OutboxRecord.id.desc())
            .limit(limit)
        )
        async with self._database.single_reads() as session:
            return [detached(OutboxEntry, r) for r in (await session.scalars(query)).all()]

    async def attempts(self, outbox_id: int) -> list[DeliveryAttempt]:
        """The delivery log of one row, oldest attempt first."""
        query = (
            select(DeliveryAttemptRecord)
            .where(DeliveryAttemptRecord.outbox_id == outbox_id)
            .order_by(DeliveryAttemptRecord.id)
        )
        async with self._database.single_reads() as session:
            return [detached(DeliveryAttempt, r) for r in (await session.scalars(query)).all()]

    async def prune(self, before: datetime, limit: int = 1000) -> int:
        """Delete up to ``limit`` finished rows (delivered or failed) created before
        ``before``, with their log; returns how many. Pending rows are never pruned."""
        old = (
            select(OutboxRecord.id)
            .where(OutboxRecord.state != "pending", OutboxRecord.created_at < before)
            .order_by(OutboxRecord.id)
            .limit(limit)
        )
        async with self._database.writing() as session:
            ids = list((await session.scalars(old)).all())
            if ids:
                await session.execute(
                    delete(DeliveryAttemptRecord).where(DeliveryAttemptRecord.outbox_id.in_(ids))
                )
                await session.execute(delete(OutboxRecord).where(OutboxRecord.id.in_(ids)))
        return len(ids)


def _give_up_disabled(session: AsyncSession, outbox: OutboxRecord, now: datetime) -> None:
    outbox.state, outbox.lease, outbox.last_error = "failed", None, DISABLED_ENDPOINT
    session.add(
        DeliveryAttemptRecord(
            outbox_id=outbox.id,
            at=now,
            outcome="failed",
            status=None,
            reply=DISABLED_ENDPOINT,
            duration_ms=0,
        )
    )


def _claimed(
    outbox: OutboxRecord, endpoint: WebhookEndpointRecord | None, lease: str, now: datetime
) -> ClaimedDelivery:
    signing: tuple[str, ...] = ()
    if endpoint is not None:
        signing = (endpoint.secret,)
        until = endpoint.previous_secret_until
        if endpoint.previous_secret is not None and until is not None and until > now:
            signing = (endpoint.secret, endpoint.previous_secret)
    return ClaimedDelivery(
        id=outbox.id,
        message_id=outbox.message_id,
        channel=outbox.channel,
        event_type=outbox.event_type,
        user_id=outbox.user_id,
        recipient=outbox.recipient,
        endpoint_id=outbox.endpoint_id,
        url=None if endpoint is None else endpoint.url,
        secrets=signing,
        payload=outbox.payload,
        attempts=outbox.attempts,
        lease=lease,
        created_at=outbox.created_at,
    )
