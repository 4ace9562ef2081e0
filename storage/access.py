"""What admitting a connection to a document needs to read, one query each, batched.

A live connection's right to stay is re-checked every few seconds (the credential it came
with, its role, its room), so these reads take sets: one query answers for every open
connection of the node. They are the reads of a connection storm, so each is a `PreparedIn`
(storage/prepared.py): compiled once, run on the driver in one call, no ORM objects built.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

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
from storage.prepared import PreparedIn
from storage.rooms import ROOM_COLUMNS, StoredRoom

__all__ = ["AccessStore", "DocumentPlace"]


@dataclass(frozen=True)
class DocumentPlace:
    """Where a stored document belongs: its room, or None for a document outside rooms;
    ``frozen`` when it is the body of a proposal past discussion (voting or decided)."""

    document_id: int
    room: StoredRoom | None
    frozen: bool = False


_ROOM_WIDTH = len(ROOM_COLUMNS)

PLACES = PreparedIn(
    lambda keys: (
        select(DocumentRecord.name, DocumentRecord.id, *ROOM_COLUMNS, ProposalRecord.state)
        .outerjoin(RoomDocumentRecord, RoomDocumentRecord.document_id == DocumentRecord.id)
        .outerjoin(RoomRecord, RoomRecord.id == RoomDocumentRecord.room_id)
        .outerjoin(ProposalRecord, ProposalRecord.document_id == DocumentRecord.id)
        .where(DocumentRecord.name.in_(keys))
    )
)
FROZEN = PreparedIn(
    lambda keys: select(ProposalRecord.document_id).where(
        ProposalRecord.document_id.in_(keys),
        # one comparison per state: a constant list would be an expanding (unprepared) IN
        *(ProposalRecord.state != state for state in WRITABLE_STATES),
    )
)
ROOMS = PreparedIn(lambda keys: select(*ROOM_COLUMNS).where(RoomRecord.id.in_(keys)))
ROOMS_BY_SLUG = PreparedIn(lambda keys: select(*ROOM_COLUMNS).where(RoomRecord.slug.in_(keys)))
# by room: a list of (room, user) pairs made SQLite scan the whole membership table; one
# room and a list of users is a search of the primary key
ROLES = PreparedIn(
    lambda keys: select(
        RoomMemberRecord.room_id, RoomMemberRecord.user_id, RoomMemberRecord.role
    ).where(RoomMemberRecord.room_id == bindparam("room_id"), RoomMemberRecord.user_id.in_(keys))
)
LIVE_SESSIONS = PreparedIn(
    lambda keys: select(AuthSessionRecord.id).where(
        AuthSessionRecord.id.in_(keys),
        AuthSessionRecord.revoked_at.is_(None),
        AuthSessionRecord.expires_at > bindparam("now"),
    )
)
LIVE_API_TOKENS = PreparedIn(
    lambda keys: select(ApiTokenRecord.id).where(
        ApiTokenRecord.id.in_(keys), ApiTokenRecord.revoked_at.is_(None)
    )
)


class AccessStore:
    """Reads for admission and its periodic review; every method is one query per 500 keys."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def place_of(self, name: str) -> DocumentPlace | None:
        """The document called ``name`` and its room; None if no such document is stored."""
        return (await self.places_of({name})).get(name)

    async def places_of(self, names: Collection[str]) -> dict[str, DocumentPlace]:
        """The stored documents among ``names`` and their rooms, by name."""
        places: dict[str, DocumentPlace] = {}
        for row in await self._database.read_keys(PLACES, names):
            room = row[2 : 2 + _ROOM_WIDTH]
            places[row[0]] = DocumentPlace(
                row[1],
                None if room[0] is None else StoredRoom(*room),
                frozen=row[-1] not in (None, *WRITABLE_STATES),
            )
        return places

    async def frozen(self, document_ids: Collection[int]) -> set[int]:
        """The documents among these that are proposal bodies past discussion."""
        return {row[0] for row in await self._database.read_keys(FROZEN, document_ids)}

    async def rooms(self, room_ids: Collection[int]) -> dict[int, StoredRoom]:
        """The rooms among ``room_ids`` that exist, by id."""
        rooms = (StoredRoom(*row) for row in await self._database.read_keys(ROOMS, room_ids))
        return {room.id: room for room in rooms}

    async def rooms_by_slug(self, slugs: Collection[str]) -> dict[str, StoredRoom]:
        """The rooms among ``slugs`` that exist, by slug."""
        rooms = (StoredRoom(*row) for row in await self._database.read_keys(ROOMS_BY_SLUG, slugs))
        return {room.slug: room for room in rooms}

    async def roles(self, pairs: Collection[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The role of each (room id, user id) pair that is a membership."""
        users_by_room: dict[int, list[int]] = {}
        for room_id, user_id in pairs:
            users_by_room.setdefault(room_id, []).append(user_id)
        reads = [
            read
            for room_id, users in users_by_room.items()
            for read in ROLES.reads(users, room_id=room_id)
        ]
        found = await self._database.read_several(*reads) if reads else []
        return {(room_id, user_id): role for rows in found for room_id, user_id, role in rows}

    async def live_sessions(self, session_ids: Collection[str], now: datetime) -> set[str]:
        """The sign-in sessions among ``session_ids`` that are neither revoked nor expired."""
        rows = await self._database.read_keys(LIVE_SESSIONS, session_ids, now=now)
        return {row[0] for row in rows}

    async def live_api_tokens(self, token_ids: Collection[int]) -> set[int]:
        """The API tokens among ``token_ids`` that are not revoked."""
        return {row[0] for row in await self._database.read_keys(LIVE_API_TOKENS, token_ids)}
