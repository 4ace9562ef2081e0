"""The audit log: an append-only record of security and governance events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from storage.database import Database
from storage.models import ACTION_LENGTH, ADDRESS_LENGTH, AuditEventRecord, utc_now

__all__ = ["AuditEvent", "AuditLog"]


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor_user_id: int | None
    action: str
    room_id: int | None
    address: str | None
    details: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    """Appends and pages audit events; rows are never updated or deleted."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessionmaker
        self._listeners: list[Callable[[str], None]] = []

    def listen(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(action)`` after each event is recorded (e.g. to re-check access)."""
        self._listeners.append(listener)

    async def record(
        self,
        action: str,
        *,
        actor_user_id: int | None = None,
        address: str | None = None,
        room_id: int | None = None,
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Append one event (``details`` must be JSON-serialisable).

        Raises:
            ValueError: ``action`` is longer than the column allows.
        """
        if len(action) > ACTION_LENGTH:
            raise ValueError(f"action longer than {ACTION_LENGTH} characters: {action!r}")
        row = {
            "at": at or utc_now(),
            "actor_user_id": actor_user_id,
            "action": action,
            "room_id": room_id,
            "address": None if address is None else address[:ADDRESS_LENGTH],
            "details": details or {},
        }
        async with self._sessions() as session, session.begin():
            await session.execute(insert(AuditEventRecord), [row])
        for listener in self._listeners:
            listener(action)

    async def page(
        self, *, before_id: int | None = None, limit: int = 50, room_id: int | None = None
    ) -> list[AuditEvent]:
        """Up to ``limit`` events, newest first, older than ``before_id`` when given, and
        only the room's when ``room_id`` is given."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(AuditEventRecord).order_by(AuditEventRecord.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(AuditEventRecord.id < before_id)
        if room_id is not None:
            query = query.where(AuditEventRecord.room_id == room_id)
        async with self._sessions() as session:
            return [
                AuditEvent(
                    id=r.id,
                    at=r.at,
                    actor_user_id=r.actor_user_id,
                    action=r.action,
                    room_id=r.room_id,
                    address=r.address,
                    details=dict(r.details),
                )
                for r in await session.scalars(query)
            ]
