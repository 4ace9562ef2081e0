"""Deliveries added to the outbox in the caller's transaction (`enqueue_email`,
`enqueue_webhooks`; storage/outreach.py hands them to the workers).

They take the caller's `AsyncSession`: the change they announce and its deliveries commit
together, so a committed change is never left untold and a rolled-back one never told. A
caller's ``key`` makes enqueueing idempotent: the same key for the same destination gives the
same message id, and a second row with that id is not added.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.outreach_models import OutboxRecord, WebhookEndpointRecord


def message_id_for(channel: str, destination: str, key: str | None) -> str:
    """The message id of a delivery: derived from the caller's ``key`` and the destination
    (so enqueueing twice adds one row), or random without a key."""
    if key is None:
        return "msg_" + secrets.token_hex(16)
    digest = hashlib.sha256(f"{channel}\n{destination}\n{key}".encode()).hexdigest()
    return "msg_" + digest[:40]


async def enqueue_email(
    session: AsyncSession,
    *,
    event_type: str,
    address: str,
    payload: dict[str, Any],
    now: datetime,
    user_id: int | None = None,
    key: str | None = None,
) -> int | None:
    """Add one e-mail to the outbox in the caller's transaction.

    Returns the row's id, or None when a delivery with the same message id exists already
    (the same ``key`` to the same user, or address when there is no user).
    """
    destination = f"user:{user_id}" if user_id is not None else f"address:{address.lower()}"
    return await _insert(
        session,
        message_id=message_id_for("email", destination, key),
        channel="email",
        event_type=event_type,
        user_id=user_id,
        recipient=address,
        payload=payload,
        now=now,
    )


async def enqueue_webhooks(
    session: AsyncSession,
    *,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
    audience: Collection[int] | None = None,
    key: str | None = None,
) -> list[int]:
    """Add one delivery per enabled endpoint that wants ``event_type``, in the caller's
    transaction; with ``audience``, only endpoints owned by those users (the ones who may
    see the event). Returns the ids of the rows added (none for a repeated ``key``)."""
    if audience is not None and not audience:
        return []
    # endpoints are few (a handful per user who wants any); an audience may be thousands of
    # users, too many for one IN list, so it filters here
    allowed = None if audience is None else frozenset(audience)
    query = (
        select(WebhookEndpointRecord)
        .where(WebhookEndpointRecord.disabled_at.is_(None))
        .order_by(WebhookEndpointRecord.id)
    )
    added: list[int] = []
    for record in (await session.scalars(query)).all():
        if record.event_types is not None and event_type not in record.event_types:
            continue
        if allowed is not None and record.owner_id not in allowed:
            continue
        row_id = await _insert(
            session,
            message_id=message_id_for("webhook", f"endpoint:{record.id}", key),
            channel="webhook",
            event_type=event_type,
            endpoint_id=record.id,
            user_id=record.owner_id,
            payload=payload,
            now=now,
        )
        if row_id is not None:
            added.append(row_id)
    return added


async def _insert(
    session: AsyncSession, *, message_id: str, now: datetime, **values: Any
) -> int | None:
    row = {
        "message_id": message_id,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        **values,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OutboxRecord)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(OutboxRecord.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()
