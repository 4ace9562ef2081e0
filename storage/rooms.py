"""Rooms: the rooms themselves, their members, invitations and documents.

Roles and visibilities are plain strings here (``storage.models.ROLES``, ``VISIBILITIES``);
what they allow is decided in ``server/policy.py``. Invitation secrets never reach this
module: callers pass SHA-256 hashes.

Every change of membership (setting a role, removing a member, accepting an invitation) is
one transaction that first takes the room's lock: the write lock at ``BEGIN IMMEDIATE`` on
SQLite, the room row ``FOR UPDATE`` on PostgreSQL. So the room's membership changes one at a
time, and the rule that a room keeps an owner is checked on what the change really meets.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.database import Database
from storage.errors import DocumentTaken, LastOwner, OwnerInvolved, RoomExists
from storage.models import (
    DocumentRecord,
    RoomDocumentRecord,
    RoomInvitationRecord,
    RoomMemberRecord,
    RoomRecord,
    UserRecord,
)
from storage.records import detached

__all__ = [
    "Acceptance",
    "ListedInvitation",
    "Revocation",
    "RoomStore",
    "StoredInvitation",
    "StoredMember",
    "StoredRoom",
]


OWNER = "owner"  # the role a room keeps at least one of


@dataclass(frozen=True)
class StoredRoom:
    id: int
    slug: str
    title: str
    description: str
    visibility: str
    archived_at: datetime | None
    created_by: int | None
    created_at: datetime
    locked_at: datetime | None = None
    slow_mode_seconds: int = 0


@dataclass(frozen=True)
class StoredMember:
    user_id: int
    name: str
    display_name: str
    role: str


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


class RoomStore:
    """Reads and writes rooms; every method is one unit of work."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker

    async def create_room(
        self,
        slug: str,
        *,
        title: str,
        description: str,
        visibility: str,
        owner_id: int,
        created_at: datetime,
    ) -> StoredRoom:
        """Create a room with ``owner_id`` as its owner (one transaction).

        Raises:
            RoomExists: the slug is taken.
        """
        record = RoomRecord(
            slug=slug,
            title=title,
            description=description,
            visibility=visibility,
            created_by=owner_id,
            created_at=created_at,
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(record)
                await session.flush()
                session.add(RoomMemberRecord(room_id=record.id, user_id=owner_id, role="owner"))
        except IntegrityError:
            raise RoomExists(slug) from None
        return detached(StoredRoom, record)

    async def find_room(self, slug: str) -> StoredRoom | None:
        """The room with this slug, or None."""
        async with self._sessions() as session:
            record = await session.scalar(select(RoomRecord).where(RoomRecord.slug == slug))
            return None if record is None else detached(StoredRoom, record)

    async def readable_rooms(self, user_id: int | None) -> list[tuple[StoredRoom, str | None]]:
        """Public rooms and the rooms ``user_id`` belongs to, with the user's role, by slug."""
        query = (
            select(RoomRecord, RoomMemberRecord.role)
            .outerjoin(
                RoomMemberRecord,
                (RoomMemberRecord.room_id == RoomRecord.id)
                & (RoomMemberRecord.user_id == (user_id if user_id is not None else -1)),
            )
            .where(or_(RoomRecord.visibility == "public", RoomMemberRecord.role.is_not(None)))
            .order_by(RoomRecord.slug)
        )
        async with self._sessions() as session:
            return [(detached(StoredRoom, row[0]), row[1]) for row in await session.execute(query)]

    async def update_room(
        self,
        room_id: int,
        *,
        title: str | None = None,
        description: str | None = None,
        visibility: str | None = None,
    ) -> StoredRoom:
        """Change the given settings; the others stay."""
        values = {
            key: value
            for key, value in (
                ("title", title),
                ("description", description),
                ("visibility", visibility),
            )
            if value is not None
        }
        async with self._sessions() as session, session.begin():
            if values:
                await session.execute(
                    update(RoomRecord).where(RoomRecord.id == room_id).values(**values)
                )
            record = await session.get_one(RoomRecord, room_id, populate_existing=True)
            return detached(StoredRoom, record)

    async def archive_room(self, room_id: int, now: datetime) -> bool:
        """Archive the room; False if it was archived already."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(RoomRecord)
                .where(RoomRecord.id == room_id, RoomRecord.archived_at.is_(None))
                .values(archived_at=now)
            )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def role_of(self, room_id: int, user_id: int) -> str | None:
        """The user's role in the room, or None for a non-member."""
        async with self._sessions() as session:
            record = await session.get(RoomMemberRecord, (room_id, user_id))
            return None if record is None else record.role

    async def members(self, room_id: int) -> list[StoredMember]:
        """The room's members with their names, by name."""
        query = (
            select(UserRecord, RoomMemberRecord.role)
            .join(RoomMemberRecord, RoomMemberRecord.user_id == UserRecord.id)
            .where(RoomMemberRecord.room_id == room_id)
            .order_by(UserRecord.name)
        )
        async with self._sessions() as session:
            return [
                StoredMember(user.id, user.name, user.display_name, role)
                for user, role in await session.execute(query)
            ]

    async def owner_count(self, room_id: int) -> int:
        """How many owners the room has."""
        query = select(func.count()).where(
            RoomMemberRecord.room_id == room_id, RoomMemberRecord.role == "owner"
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def set_member(
        self, room_id: int, user_id: int, role: str, *, may_change_owners: bool = True
    ) -> str | None:
        """Add the user with ``role`` or change their role; returns the previous role.

        Raises:
            OwnerInvolved: the user is or would become an owner and ``may_change_owners`` is
                False; nothing changed.
            LastOwner: the user is the room's only owner and ``role`` is not owner.
        """
        async with self._database.writing() as session:
            await _lock_room(session, room_id)
            record = await session.get(RoomMemberRecord, (room_id, user_id))
            previous = None if record is None else record.role
            if OWNER in (previous, role) and not may_change_owners:
                raise OwnerInvolved(f"user {user_id} in room {room_id}")
            if previous == OWNER and role != OWNER:
                await _keep_an_owner(session, room_id)
            if record is None:
                session.add(RoomMemberRecord(room_id=room_id, user_id=user_id, role=role))
            else:
                record.role = role
            return previous

    async def remove_member(
        self, room_id: int, user_id: int, *, may_change_owners: bool = True
    ) -> str | None:
        """Remove the user from the room; returns the role they had, None if none.

        Raises:
            OwnerInvolved: the user is an owner and ``may_change_owners`` is False.
            LastOwner: the user is the room's only owner.
        """
        async with self._database.writing() as session:
            await _lock_room(session, room_id)
            record = await session.get(RoomMemberRecord, (room_id, user_id))
            if record is None:
                return None
            if record.role == OWNER:
                if not may_change_owners:
                    raise OwnerInvolved(f"user {user_id} in room {room_id}")
                await _keep_an_owner(session, room_id)
            await session.delete(record)
            return record.role

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
        self, token_hash: str, user_id: int, now: datetime
    ) -> tuple[Acceptance, StoredInvitation | None]:
        """Use the invitation for ``user_id``: make them a member, once.

        Marking it used is one conditional statement, so of two concurrent acceptances
        exactly one succeeds and the other sees ``USED``; it runs under the room's lock, so
        a role given to the user meanwhile is seen (``ALREADY_MEMBER``).
        """
        invitations = RoomInvitationRecord
        is_member = exists().where(
            RoomMemberRecord.room_id == invitations.room_id, RoomMemberRecord.user_id == user_id
        )
        async with self._database.writing() as session:
            room_id = await session.scalar(
                select(invitations.room_id).where(invitations.token_hash == token_hash)
            )
            if room_id is None:
                return Acceptance.UNKNOWN, None
            await _lock_room(session, room_id)
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

    async def get_room(self, room_id: int) -> StoredRoom | None:
        """The room with id ``room_id``, or None."""
        async with self._sessions() as session:
            record = await session.get(RoomRecord, room_id)
            return None if record is None else detached(StoredRoom, record)

    async def find_invitation(self, token_hash: str) -> StoredInvitation | None:
        """The invitation with this token hash, or None."""
        query = select(RoomInvitationRecord).where(RoomInvitationRecord.token_hash == token_hash)
        async with self._sessions() as session:
            record = await session.scalar(query)
            return None if record is None else detached(StoredInvitation, record)

    async def document_names(self, room_id: int) -> list[str]:
        """The names of the room's documents, sorted."""
        query = (
            select(DocumentRecord.name)
            .join(RoomDocumentRecord, RoomDocumentRecord.document_id == DocumentRecord.id)
            .where(RoomDocumentRecord.room_id == room_id)
            .order_by(DocumentRecord.name)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def link_document(self, room_id: int, document_id: int) -> None:
        """Make the document belong to the room.

        Raises:
            DocumentTaken: the document belongs to a room already.
        """
        try:
            async with self._sessions() as session, session.begin():
                session.add(RoomDocumentRecord(room_id=room_id, document_id=document_id))
        except IntegrityError:
            raise DocumentTaken(str(document_id)) from None

    async def room_of_document(self, document_id: int) -> int | None:
        """The id of the room the document belongs to, or None."""
        async with self._sessions() as session:
            record = await session.get(RoomDocumentRecord, document_id)
            return None if record is None else record.room_id


async def _lock_room(session: AsyncSession, room_id: int) -> None:
    """Order the room's membership changes: on PostgreSQL lock the room row (SQLite holds the
    database's write lock already, see ``Database.writing``; it renders no FOR UPDATE)."""
    await session.execute(select(RoomRecord.id).where(RoomRecord.id == room_id).with_for_update())


async def _keep_an_owner(session: AsyncSession, room_id: int) -> None:
    """Raise LastOwner unless the room has an owner besides the one about to go."""
    owners = await session.scalar(
        select(func.count()).where(
            RoomMemberRecord.room_id == room_id, RoomMemberRecord.role == OWNER
        )
    )
    if int(owners or 0) <= 1:
        raise LastOwner(f"room {room_id} keeps at least one owner")
