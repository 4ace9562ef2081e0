"""Room invitations: made by a member, good once, until they expire or are revoked.

Invitation secrets never reach this module: callers pass SHA-256 hashes. Accepting one is a
membership change, so it runs under the room's lock like ``RoomStore.set_member`` (see
``lock_room``): the invitation is used, and its user made a member, on what the room's
membership is when the transaction runs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.database import Database
from storage.models import RoomInvitationRecord, RoomMemberRecord, RoomRecord, UserRecord
from storage.records import detached

__all__ = [
    "Acceptance",
    "Invitations",
    "ListedInvitation",
    "Revocation",
    "StoredInvitation",
    "lock_room",
]


@dataclass(frozen=True)
class StoredInvitation:
    id: int
    room_id: int
    role: str
    expires_at: datetime
    created_by: int | None
    created_at: datetime
    used_by: int | None
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class ListedInvitation:
    """An invitation with the names of its creator and of who used it (None: nobody, or a
    deleted user), and the role its creator has in the room now (None: not a member)."""

    invitation: StoredInvitation
    created_by_name: str | None
    used_by_name: str | None
    creator_role: str | None


class Acceptance(enum.Enum):
    """What happened to a presented invitation."""

    ACCEPTED = "accepted"  # the user is now a member with the invitation's role
    UNKNOWN = "unknown"  # no invitation has this token
    USED = "used"  # it was accepted already (it is good for one use)
    REVOKED = "revoked"  # it was revoked
    EXPIRED = "expired"  # it expired
    ALREADY_MEMBER = "already_member"  # the user is a member; the invitation stays unused


class Revocation(enum.Enum):
    """What happened to an invitation asked to be revoked."""

    REVOKED = "revoked"  # it is revoked now
    ALREADY_REVOKED = "already_revoked"  # it was revoked before; nothing changed
    USED = "used"  # it was accepted already; nothing changed
    UNKNOWN = "unknown"  # the room has no invitation with this id


class Invitations:
    """The invitation half of ``RoomStore``; every method is one unit of work."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker
        self._single_reads = database.single_reads  # one-statement reads (storage/database.py)

    async def create_invitation(
        self,
        room_id: int,
        *,
        token_hash: str,
        role: str,
        expires_at: datetime,
        created_by: int,
        created_at: datetime,
    ) -> StoredInvitation:
        """Record an invitation by the SHA-256 of its token."""
        record = RoomInvitationRecord(
            room_id=room_id,
            token_hash=token_hash,
            role=role,
            expires_at=expires_at,
            created_by=created_by,
            created_at=created_at,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        return detached(StoredInvitation, record)

    async def accept_invitation(
        self,
        token_hash: str,
        user_id: int,
        now: datetime,
        *,
        creator_may_invite: Callable[[str | None], bool] | None = None,
    ) -> tuple[Acceptance, StoredInvitation | None]:
        """Use the invitation for ``user_id``: make them a member, once.

        Marking it used is one conditional statement, so of two concurrent acceptances
        exactly one succeeds and the other sees ``USED``; it runs under the room's lock, so
        a role given to the user meanwhile is seen (``ALREADY_MEMBER``).

        Args:
            creator_may_invite: asked, under the lock, with the role the invitation's creator
                has now (None: no member, or a deleted user); False answers ``REVOKED`` and
                leaves the invitation unused. An invitation speaks for its creator only while
                they may still make it.
        """
        invitations = RoomInvitationRecord
        is_member = exists().where(
            RoomMemberRecord.room_id == invitations.room_id, RoomMemberRecord.user_id == user_id
        )
        async with self._database.writing() as session:
            presented = await session.scalar(
                select(invitations).where(invitations.token_hash == token_hash)
            )
            if presented is None:
                return Acceptance.UNKNOWN, None
            await lock_room(session, presented.room_id)
            if creator_may_invite is not None:
                creator_role = await session.scalar(
                    select(RoomMemberRecord.role).where(
                        RoomMemberRecord.room_id == presented.room_id,
                        RoomMemberRecord.user_id == presented.created_by,
                    )
                )  # None too for a deleted creator (created_by NULL matches no row)
                if not creator_may_invite(creator_role):
                    return Acceptance.REVOKED, detached(StoredInvitation, presented)
            used = await session.execute(
                update(invitations)
                .where(
                    invitations.token_hash == token_hash,
                    invitations.used_at.is_(None),
                    invitations.revoked_at.is_(None),
                    invitations.expires_at > now,
                    ~is_member,
                )
                .values(used_by=user_id, used_at=now)
                .returning(invitations.id)
            )
            accepted = used.scalar() is not None
            record = await session.scalar(
                select(invitations)
                .where(invitations.token_hash == token_hash)
                .execution_options(populate_existing=True)
            )
            if record is None:
                return Acceptance.UNKNOWN, None
            invitation = detached(StoredInvitation, record)
            if accepted:
                session.add(
                    RoomMemberRecord(room_id=record.room_id, user_id=user_id, role=record.role)
                )
                return Acceptance.ACCEPTED, invitation
            if record.used_at is not None:
                return Acceptance.USED, invitation
            if record.revoked_at is not None:
                return Acceptance.REVOKED, invitation
            if record.expires_at <= now:
                return Acceptance.EXPIRED, invitation
            return Acceptance.ALREADY_MEMBER, invitation

    async def invitations(self, room_id: int) -> list[ListedInvitation]:
        """The room's invitations, newest first, with the names of creator and user."""
        invitations = RoomInvitationRecord
        creator, user = aliased(UserRecord), aliased(UserRecord)
        query = (
            select(invitations, creator.name, user.name, RoomMemberRecord.role)
            .outerjoin(creator, creator.id == invitations.created_by)
            .outerjoin(user, user.id == invitations.used_by)
            .outerjoin(
                RoomMemberRecord,
                (RoomMemberRecord.room_id == invitations.room_id)
                & (RoomMemberRecord.user_id == invitations.created_by),
            )
            .where(invitations.room_id == room_id)
            .order_by(invitations.created_at.desc(), invitations.id.desc())
        )
        async with self._sessions() as session:
            return [
                ListedInvitation(detached(StoredInvitation, record), created_by, used_by, role)
                for record, created_by, used_by, role in await session.execute(query)
            ]

    async def get_invitation(self, room_id: int, invitation_id: int) -> StoredInvitation | None:
        """The room's invitation with this id, or None (also for another room's)."""
        query = select(RoomInvitationRecord).where(
            RoomInvitationRecord.id == invitation_id, RoomInvitationRecord.room_id == room_id
        )
        async with self._sessions() as session:
            record = await session.scalar(query)
            return None if record is None else detached(StoredInvitation, record)

    async def revoke_invitation(
        self, room_id: int, invitation_id: int, now: datetime
    ) -> tuple[Revocation, StoredInvitation | None]:
        """Revoke the room's invitation unless it was used or revoked already.

        Like accepting, revoking is one conditional statement: of an acceptance and a
        revocation at the same time exactly one takes effect.
        """
        invitations = RoomInvitationRecord
        async with self._sessions() as session, session.begin():
            revoked = await session.execute(
                update(invitations)
                .where(
                    invitations.id == invitation_id,
                    invitations.room_id == room_id,
                    invitations.used_at.is_(None),
                    invitations.revoked_at.is_(None),
                )
                .values(revoked_at=now)
                .returning(invitations.id)
            )
            changed = revoked.scalar() is not None
            record = await session.scalar(
                select(invitations)
                .where(invitations.id == invitation_id, invitations.room_id == room_id)
                .execution_options(populate_existing=True)
            )
            if record is None:
                return Revocation.UNKNOWN, None
            invitation = detached(StoredInvitation, record)
            if changed:
                return Revocation.REVOKED, invitation
            if record.used_at is not None:
                return Revocation.USED, invitation
            return Revocation.ALREADY_REVOKED, invitation

    async def find_invitation(self, token_hash: str) -> StoredInvitation | None:
        """The invitation with this token hash, or None."""
        query = select(RoomInvitationRecord).where(RoomInvitationRecord.token_hash == token_hash)
        async with self._sessions() as session:
            record = await session.scalar(query)
            return None if record is None else detached(StoredInvitation, record)


async def lock_room(session: AsyncSession, room_id: int) -> None:
    """Order the room's membership changes: on PostgreSQL lock the room row (SQLite holds the
    database's write lock already, see ``Database.writing``; it renders no FOR UPDATE)."""
    await session.execute(select(RoomRecord.id).where(RoomRecord.id == room_id).with_for_update())
