"""What admitting a connection to a document needs to read, one query each, batched.

A live connection's right to stay is re-checked every few seconds (the credential it came
with, its role, its room), so these reads take sets: one query answers for every open
connection of the node.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_

from storage.database import Database
from storage.decision_models import WRITABLE_STATES, ProposalRecord
from storage.models import (
    ApiTokenRecord,
    AuthSessionRecord,
    DocumentRecord,
    RoomDocumentRecord,
    RoomMemberRecord,
    RoomRecord,
)
from storage.records import detached
from storage.rooms import StoredRoom

__all__ = ["AccessStore", "DocumentPlace"]


@dataclass(frozen=True)
class DocumentPlace:
    """Where a stored document belongs: its room, or None for a document outside rooms;
    ``frozen`` when it is the body of a proposal past discussion (voting or decided)."""

    document_id: int
    room: StoredRoom | None
    frozen: bool = False


class AccessStore:
    """Reads for admission and its periodic review; every method is one query."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.single_reads  # one statement each: no transaction needed

    async def place_of(self, name: str) -> DocumentPlace | None:
        """The document called ``name`` and its room; None if no such document is stored."""
        return (await self.places_of({name})).get(name)

    async def places_of(self, names: Collection[str]) -> dict[str, DocumentPlace]:
        """The stored documents among ``names`` and their rooms, by name."""
        if not names:
            return {}
        query = (
            select(DocumentRecord.name, DocumentRecord.id, RoomRecord, ProposalRecord.state)
            .outerjoin(RoomDocumentRecord, RoomDocumentRecord.document_id == DocumentRecord.id)
            .outerjoin(RoomRecord, RoomRecord.id == RoomDocumentRecord.room_id)
            .outerjoin(ProposalRecord, ProposalRecord.document_id == DocumentRecord.id)
            .where(DocumentRecord.name.in_(names))
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        places: dict[str, DocumentPlace] = {}
        for name, document_id, room, state in rows:
            places[name] = DocumentPlace(
                document_id,
                None if room is None else detached(StoredRoom, room),
                frozen=state not in (None, *WRITABLE_STATES),
            )
        return places

    async def frozen(self, document_ids: Collection[int]) -> set[int]:
        """The documents among these that are proposal bodies past discussion."""
        if not document_ids:
            return set()
        query = select(ProposalRecord.document_id).where(
            ProposalRecord.document_id.in_(document_ids),
            ProposalRecord.state.not_in(WRITABLE_STATES),
        )
        async with self._sessions() as session:
            return set(await session.scalars(query))

    async def rooms(self, room_ids: Collection[int]) -> dict[int, StoredRoom]:
        """The rooms among ``room_ids`` that exist, by id."""
        if not room_ids:
            return {}
        query = select(RoomRecord).where(RoomRecord.id.in_(room_ids))
        async with self._sessions() as session:
            return {r.id: detached(StoredRoom, r) for r in await session.scalars(query)}

    async def rooms_by_slug(self, slugs: Collection[str]) -> dict[str, StoredRoom]:
        """The rooms among ``slugs`` that exist, by slug."""
        if not slugs:
            return {}
        query = select(RoomRecord).where(RoomRecord.slug.in_(slugs))
        async with self._sessions() as session:
            return {r.slug: detached(StoredRoom, r) for r in await session.scalars(query)}

    async def roles(self, pairs: Collection[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The role of each (room id, user id) pair that is a membership."""
        if not pairs:
            return {}
        query = select(RoomMemberRecord.room_id, RoomMemberRecord.user_id, RoomMemberRecord.role)
        query = query.where(
            tuple_(RoomMemberRecord.room_id, RoomMemberRecord.user_id).in_(list(pairs))
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return {(room_id, user_id): role for room_id, user_id, role in rows}

    async def live_sessions(self, session_ids: Collection[str], now: datetime) -> set[str]:
        """The sign-in sessions among ``session_ids`` that are neither revoked nor expired."""
        if not session_ids:
            return set()
        query = select(AuthSessionRecord.id).where(
            AuthSessionRecord.id.in_(session_ids),
            AuthSessionRecord.revoked_at.is_(None),
            AuthSessionRecord.expires_at > now,
        )
        async with self._sessions() as session:
            return set(await session.scalars(query))

    async def live_api_tokens(self, token_ids: Collection[int]) -> set[int]:
        """The API tokens among ``token_ids`` that are not revoked."""
        if not token_ids:
            return set()
        query = select(ApiTokenRecord.id).where(
            ApiTokenRecord.id.in_(token_ids), ApiTokenRecord.revoked_at.is_(None)
        )
        async with self._sessions() as session:
            return set(await session.scalars(query))
