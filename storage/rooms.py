"""Rooms: the rooms themselves, their members, invitations (``storage.invitations``) and
documents.

Roles and visibilities are plain strings here (``storage.models.ROLES``, ``VISIBILITIES``);
what they allow is decided in ``server/policy.py``.

Every change of membership (setting a role, removing a member, accepting an invitation) is
one transaction that first takes the room's lock: the write lock at ``BEGIN IMMEDIATE`` on
SQLite, the room row ``FOR UPDATE`` on PostgreSQL. So the room's membership changes one at a
time, and the rule that a room keeps an owner is checked on what the change really meets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import DocumentTaken, LastOwner, NotPermitted, RoomExists
from storage.invitations import (
    Acceptance,
    Invitations,
    ListedInvitation,
    Revocation,
    StoredInvitation,
    lock_room,
)
from storage.models import (
    DocumentRecord,
    RoomDocumentRecord,
    RoomMemberRecord,
    RoomRecord,
    UserRecord,
)
from storage.prepared import Prepared
from storage.records import detached

__all__ = [
    "Acceptance",
    "Acting",
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
class Acting:
    """Who makes a membership change, and whether they may: ``may(role, owner_involved)`` is
    asked under the room's lock with the actor's role of that moment (None: no member) and
    whether the change makes, demotes or removes an owner. The store knows no policy; the
    caller's ``may`` does."""

    user_id: int
    may: Callable[[str | None, bool], bool]


@dataclass(frozen=True)
class StoredMember:
    user_id: int
    name: str
    display_name: str
    role: str


# The reads every room request makes, as prepared statements (storage/prepared.py).
ROOM_COLUMNS = [getattr(RoomRecord, field.name) for field in fields(StoredRoom)]
ROOM_BY_SLUG = Prepared(select(*ROOM_COLUMNS).where(RoomRecord.slug == bindparam("slug")))
ROOM_WITH_ROLE = Prepared(
    select(*ROOM_COLUMNS, RoomMemberRecord.role)
    .outerjoin(
        RoomMemberRecord,
        (RoomMemberRecord.room_id == RoomRecord.id)
        & (RoomMemberRecord.user_id == bindparam("user_id")),
    )
    .where(RoomRecord.slug == bindparam("slug"))
)
_DOCUMENT_NAMES = select(DocumentRecord.name).join(
    RoomDocumentRecord, RoomDocumentRecord.document_id == DocumentRecord.id
)
DOCUMENT_NAMES = Prepared(
    _DOCUMENT_NAMES.where(RoomDocumentRecord.room_id == bindparam("room_id")).order_by(
        DocumentRecord.name
    )
)
DOCUMENT_NAMES_BY_SLUG = Prepared(
    _DOCUMENT_NAMES.join(RoomRecord, RoomRecord.id == RoomDocumentRecord.room_id)
    .where(RoomRecord.slug == bindparam("slug"))
    .order_by(DocumentRecord.name)
)


class RoomStore(Invitations):
    """Reads and writes rooms; every method is one unit of work."""

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
        rows = await self._database.read(ROOM_BY_SLUG, slug=slug)
        return StoredRoom(*rows[0]) if rows else None

    async def find_room_with_role(
        self, slug: str, user_id: int | None
    ) -> tuple[StoredRoom, str | None] | None:
        """The room with this slug and ``user_id``'s role in it (None for a non-member or
        no user), in one query; None if there is no such room."""
        if user_id is None:
            room = await self.find_room(slug)
            return None if room is None else (room, None)
        rows = await self._database.read(ROOM_WITH_ROLE, slug=slug, user_id=user_id)
        return (StoredRoom(*rows[0][:-1]), rows[0][-1]) if rows else None

    async def find_room_with_documents(
        self, slug: str, user_id: int | None
    ) -> tuple[StoredRoom, str | None, list[str]] | None:
        """The room with this slug, ``user_id``'s role in it and the names of its documents
        (sorted), read together: one call to the driver on SQLite. None if no such room."""
        rooms, names = await self._database.read_several(
            (ROOM_WITH_ROLE, {"slug": slug, "user_id": user_id}),
            (DOCUMENT_NAMES_BY_SLUG, {"slug": slug}),
        )
        if not rooms:
            return None
        return StoredRoom(*rooms[0][:-1]), rooms[0][-1], [name for (name,) in names]

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
        async with self._single_reads() as session:
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
        self, room_id: int, user_id: int, role: str, *, acting: Acting | None = None
    ) -> str | None:
        """Add the user with ``role`` or change their role; returns the previous role.

        Raises:
            NotPermitted: ``acting.may`` said no, asked with the roles of this moment;
                nothing changed.
            LastOwner: the user is the room's only owner and ``role`` is not owner.
        """
        async with self._database.writing() as session:
            await lock_room(session, room_id)
            record = await session.get(RoomMemberRecord, (room_id, user_id))
            previous = None if record is None else record.role
            await _permit(session, room_id, acting, owner_involved=OWNER in (previous, role))
            if previous == OWNER and role != OWNER:
                await _keep_an_owner(session, room_id)
            if record is None:
                session.add(RoomMemberRecord(room_id=room_id, user_id=user_id, role=role))
            else:
                record.role = role
            return previous

    async def remove_member(
        self, room_id: int, user_id: int, *, acting: Acting | None = None
    ) -> str | None:
        """Remove the user from the room; returns the role they had, None if none.

        Raises:
            NotPermitted: ``acting.may`` said no (asked only when the user is a member).
            LastOwner: the user is the room's only owner.
        """
        async with self._database.writing() as session:
            await lock_room(session, room_id)
            record = await session.get(RoomMemberRecord, (room_id, user_id))
            if record is None:
                return None
            await _permit(session, room_id, acting, owner_involved=record.role == OWNER)
            if record.role == OWNER:
                await _keep_an_owner(session, room_id)
            await session.delete(record)
            return record.role

    async def get_room(self, room_id: int) -> StoredRoom | None:
        """The room with id ``room_id``, or None."""
        async with self._sessions() as session:
            record = await session.get(RoomRecord, room_id)
            return None if record is None else detached(StoredRoom, record)

    async def document_names(self, room_id: int) -> list[str]:
        """The names of the room's documents, sorted."""
        return [name for (name,) in await self._database.read(DOCUMENT_NAMES, room_id=room_id)]

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


async def _permit(
    session: AsyncSession, room_id: int, acting: Acting | None, *, owner_involved: bool
) -> None:
    if acting is None:
        return
    role = await session.scalar(
        select(RoomMemberRecord.role).where(
            RoomMemberRecord.room_id == room_id, RoomMemberRecord.user_id == acting.user_id
        )
    )
    if not acting.may(role, owner_involved):
        raise NotPermitted(f"user {acting.user_id} may not change this membership now")


async def _keep_an_owner(session: AsyncSession, room_id: int) -> None:
    """Raise LastOwner unless the room has an owner besides the one about to go."""
    owners = await session.scalar(
        select(func.count()).where(
            RoomMemberRecord.room_id == room_id, RoomMemberRecord.role == OWNER
        )
    )
    if int(owners or 0) <= 1:
        raise LastOwner(f"room {room_id} keeps at least one owner")
