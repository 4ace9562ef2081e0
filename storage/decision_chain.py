"""A room's chain of decision records: poll closings and consultation reports.

Each record is one canonical JSON text (sorted keys, no spaces, UTF-8 as is) whose SHA-256 is
stored beside it, with the hash of the room's previous record: changing or removing a record
breaks every hash after it. Records are appended under the room's lock (the caller holds it
through ``next_event_seq``), so positions are gap-free and each names its predecessor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.decision_models import DecisionRecord


@dataclass(frozen=True)
class StoredDecision:
    room_id: int
    position: int
    poll_id: int | None
    previous_sha256: str | None
    record_json: str
    record_sha256: str
    created_at: datetime

    @property
    def record(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.record_json)
        return value


def canonical_json(value: Any) -> str:
    """The one text of a JSON value that is hashed: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def next_in_chain(session: AsyncSession, room_id: int) -> tuple[int, str | None]:
    """The position of the room's next decision record and its predecessor's hash, read
    under the room's lock (the caller took it with ``next_event_seq``)."""
    last = (
        await session.execute(
            select(DecisionRecord.position, DecisionRecord.record_sha256)
            .where(DecisionRecord.room_id == room_id)
            .order_by(DecisionRecord.position.desc())
            .limit(1)
        )
    ).first()
    return (1, None) if last is None else (last[0] + 1, last[1])


def append_record(
    session: AsyncSession,
    room_id: int,
    position: int,
    previous_sha256: str | None,
    content: dict[str, Any],
    now: datetime,
    *,
    poll_id: int | None = None,
) -> DecisionRecord:
    """Add the room's record at ``position`` (from `next_in_chain`) to the session: its
    canonical text and hash, chained to ``previous_sha256``."""
    text = canonical_json(content)
    record = DecisionRecord(
        room_id=room_id,
        position=position,
        poll_id=poll_id,
        previous_sha256=previous_sha256,
        record_json=text,
        record_sha256=hashlib.sha256(text.encode()).hexdigest(),
        created_at=now,
    )
    session.add(record)
    return record
