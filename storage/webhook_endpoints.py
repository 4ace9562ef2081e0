"""Webhook endpoints: where their owners want events POSTed, and the secrets that sign them.

Rotation keeps the replaced secret beside the new one until its overlap ends; the outbox
(storage/outreach.py) reads the secrets that sign at the moment it claims a delivery.
``StoredEndpoint`` never carries a secret, so it can be shown to the endpoint's owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from storage.database import Database
from storage.outreach_models import ERROR_LENGTH, WebhookEndpointRecord

__all__ = ["StoredEndpoint", "WebhookEndpointStore"]


@dataclass(frozen=True)
class StoredEndpoint:
    """A webhook endpoint without its secrets (safe to show its owner)."""

    id: int
    owner_id: int
    url: str
    description: str
    event_types: tuple[str, ...] | None
    created_at: datetime
    previous_secret_until: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None

    def wants(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_LENGTH]


def _endpoint(record: WebhookEndpointRecord) -> StoredEndpoint:
    types = None if record.event_types is None else tuple(record.event_types)
    return StoredEndpoint(
        id=record.id,
        owner_id=record.owner_id,
        url=record.url,
        description=record.description,
        event_types=types,
        created_at=record.created_at,
        previous_secret_until=record.previous_secret_until,
        disabled_at=record.disabled_at,
        disabled_reason=record.disabled_reason,
    )


class WebhookEndpointStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker

    async def create(
        self,
        owner_id: int,
        url: str,
        description: str,
        event_types: Iterable[str] | None,
        secret: str,
        now: datetime,
    ) -> StoredEndpoint:
        record = WebhookEndpointRecord(
            owner_id=owner_id,
            url=url,
            description=description,
            event_types=None if event_types is None else sorted(set(event_types)),
            secret=secret,
            created_at=now,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        return _endpoint(record)

    async def get(self, endpoint_id: int) -> StoredEndpoint | None:
        async with self._database.single_reads() as session:
            record = await session.get(WebhookEndpointRecord, endpoint_id)
        return None if record is None else _endpoint(record)

    async def owned_by(self, owner_id: int) -> list[StoredEndpoint]:
        query = (
            select(WebhookEndpointRecord)
            .where(WebhookEndpointRecord.owner_id == owner_id)
            .order_by(WebhookEndpointRecord.id)
        )
        async with self._database.single_reads() as session:
            return [_endpoint(r) for r in (await session.scalars(query)).all()]

    async def count_enabled(self, owner_id: int) -> int:
        query = select(func.count()).where(
            WebhookEndpointRecord.owner_id == owner_id,
            WebhookEndpointRecord.disabled_at.is_(None),
        )
        async with self._database.single_reads() as session:
            return int(await session.scalar(query) or 0)

    async def rotate(
        self, endpoint_id: int, secret: str, overlap_until: datetime, now: datetime
    ) -> StoredEndpoint | None:
        """Make ``secret`` the current secret; the one it replaces keeps signing (beside it)
        until ``overlap_until`` (not at all when that is not after ``now``)."""
        async with self._database.writing() as session:
            record = await session.get(WebhookEndpointRecord, endpoint_id)
            if record is None:
                return None
            keep = overlap_until > now
            record.previous_secret = record.secret if keep else None
            record.previous_secret_until = overlap_until if keep else None
            record.secret = secret
        return _endpoint(record)

    async def disable(self, endpoint_id: int, now: datetime, reason: str) -> bool:
        """Stop deliveries to the endpoint (rows already queued are given up when due)."""
        async with self._database.writing() as session:
            changed = await session.execute(
                update(WebhookEndpointRecord)
                .where(
                    WebhookEndpointRecord.id == endpoint_id,
                    WebhookEndpointRecord.disabled_at.is_(None),
                )
                .values(disabled_at=now, disabled_reason=_clip(reason))
            )
        return bool(changed.rowcount == 1)  # type: ignore[attr-defined]

    async def enable(self, endpoint_id: int) -> bool:
        async with self._database.writing() as session:
            changed = await session.execute(
                update(WebhookEndpointRecord)
                .where(WebhookEndpointRecord.id == endpoint_id)
                .values(disabled_at=None, disabled_reason=None)
            )
        return bool(changed.rowcount == 1)  # type: ignore[attr-defined]
