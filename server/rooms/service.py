"""Room operations with their audit trail; every permission comes from ``policy.decide``."""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import msgspec

from server.accounts.signing import secret_hash
from server.documents.names import valid_document_name
from server.policy import Action, Decision, Reason, Role, RoomState, Visibility, decide, refusal
from server.rooms import (
    InvalidRoomInput,
    InvitationNotFound,
    InvitationUnusable,
    MemberNotFound,
    RoomConflict,
    RoomNotFound,
)
from server.rooms.commands import NewInvitation, NewRoom, RoomChanges
from storage.accounts import AccountStore, StoredUser
from storage.audit import AuditEvent, AuditLog
from storage.document_log import DocumentLog
from storage.errors import DocumentTaken, LastOwner, NotPermitted, RoomExists
from storage.models import utc_now
from storage.rooms import (
    Acceptance,
    Acting,
    ListedInvitation,
    Revocation,
    RoomStore,
    StoredInvitation,
    StoredMember,
    StoredRoom,
)

INVITATION_PREFIX = "vci_"


def state_of(room: StoredRoom) -> RoomState:
    """What the policy needs to know of a room."""
    return RoomState(
        Visibility(room.visibility),
        archived=room.archived_at is not None,
        locked=room.locked_at is not None,
    )


@dataclass(frozen=True)
class RoomView:
    """A room as one caller sees it: with their role (None: not a member)."""

    room: StoredRoom
    role: Role | None
    actor: StoredUser | None

    @property
    def state(self) -> RoomState:
        return state_of(self.room)

    def decide(self, action: Action, *, as_read: bool = False) -> Decision:
        """``as_read``: decide as if the room were not archived, for reading what ``action``
        makes (listing invitations is asked as ``invite``, archived or not)."""
        state = replace(self.state, archived=False) if as_read else self.state
        return decide(self.role, self.actor is not None, action, state)

    def require(self, *actions: Action, as_read: bool = False) -> None:
        for action in actions:
            decision = self.decide(action, as_read=as_read)
            if decision.reason is Reason.HIDDEN:
                raise RoomNotFound(self.room.slug)
            if not decision.allowed:
                raise refusal(decision)


def room_view(
    slug: str, found: tuple[StoredRoom, str | None] | None, actor: StoredUser | None
) -> RoomView:
    """The room called ``slug`` as ``actor`` sees it, from the room and their role in it as
    read (None: no such room); RoomNotFound if unknown or hidden from them."""
    if found is None:
        raise RoomNotFound(slug)
    room, role = found
    view = RoomView(room, None if role is None else Role(role), actor)
    if view.decide(Action.READ_ROOM).reason is Reason.HIDDEN:
        raise RoomNotFound(slug)
    return view


class InvitationState(enum.StrEnum):
    PENDING = "pending"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


def inviting(role: str) -> tuple[Action, ...]:
    """What making (or revoking) an invitation with ``role`` asks: owners are managed too."""
    return (Action.INVITE, Action.MANAGE_OWNERS) if role == Role.OWNER else (Action.INVITE,)


def invitation_state(listed: ListedInvitation, room: StoredRoom, now: datetime) -> InvitationState:
    """What accepting the invitation would meet, archiving aside: a pending invitation
    whose creator may no longer make it counts as revoked, as accepting answers."""
    invitation = listed.invitation
    if invitation.used_at is not None:
        return InvitationState.USED
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if invitation.expires_at <= now:
        return InvitationState.EXPIRED
    creator = None if listed.creator_role is None else Role(listed.creator_role)
    unarchived = RoomState(Visibility(room.visibility))
    if all(decide(creator, True, a, unarchived).allowed for a in inviting(invitation.role)):
        return InvitationState.PENDING
    return InvitationState.REVOKED


class Rooms:
    def __init__(
        self,
        store: RoomStore,
        accounts: AccountStore,
        documents: DocumentLog,
        audit: AuditLog,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store, self.accounts, self.documents = store, accounts, documents
        self.audit, self.clock = audit, clock

    async def _record(
        self, action: str, view: RoomView, address: str | None, **details: Any
    ) -> None:
        await self.audit.record(
            action,
            actor_user_id=None if view.actor is None else view.actor.id,
            room_id=view.room.id,
            address=address,
            details=details,
        )

    async def view(self, slug: str, actor: StoredUser | None) -> RoomView:
        """The room as ``actor`` sees it; RoomNotFound if unknown or hidden from them."""
        found = await self.store.find_room_with_role(slug, None if actor is None else actor.id)
        return room_view(slug, found, actor)

    async def view_with_documents(
        self, slug: str, actor: StoredUser | None
    ) -> tuple[RoomView, list[str]]:
        """`view` and `document_names` with one read of the database: the room page's."""
        actor_id = None if actor is None else actor.id
        found = await self.store.find_room_with_documents(slug, actor_id)
        if found is None:
            raise RoomNotFound(slug)
        room, role, names = found
        view = room_view(slug, (room, role), actor)
        view.require(Action.READ_DOCUMENT)
        return view, names

    async def create(self, actor: StoredUser, new: NewRoom, address: str | None) -> RoomView:
        slug, visibility = new.slug, new.visibility
        title = new.title if new.title is not None else slug
        description = new.description
        try:
            room = await self.store.create_room(
                slug,
                title=title,
                description=description,
                visibility=visibility.value,
                owner_id=actor.id,
                created_at=self.clock(),
            )
        except RoomExists:
            raise RoomConflict("room-exists", f"a room called {slug!r} exists") from None
        view = RoomView(room, Role.OWNER, actor)
        await self._record("room.created", view, address, slug=slug, visibility=visibility.value)
        return view

    async def readable(self, actor: StoredUser | None) -> list[RoomView]:
        candidates = await self.store.readable_rooms(None if actor is None else actor.id)
        views = [
            RoomView(room, None if role is None else Role(role), actor) for room, role in candidates
        ]
        return [view for view in views if view.decide(Action.READ_ROOM).allowed]

    async def update(self, view: RoomView, asked: RoomChanges, address: str | None) -> RoomView:
        view.require(Action.UPDATE_ROOM)
        changes: dict[str, str] = {}
        for name in asked.__struct_fields__:
            value = getattr(asked, name)
            if value is not msgspec.UNSET:
                changes[name] = str(value)
        room = await self.store.update_room(view.room.id, **changes)
        await self._record("room.updated", view, address, changes=changes)
        return RoomView(room, view.role, view.actor)

    async def archive(self, view: RoomView, address: str | None) -> None:
        view.require(Action.ARCHIVE_ROOM)
        await self.store.archive_room(view.room.id, self.clock())
        await self._record("room.archived", view, address)

    async def members(self, view: RoomView) -> list[StoredMember]:
        view.require(Action.READ_ROOM)
        return await self.store.members(view.room.id)

    async def _target(self, name: str) -> StoredUser:
        user = await self.accounts.find_user(name)
        if user is None:
            raise InvalidRoomInput("user", f"there is no user called {name!r}")
        return user

    def _acting(self, view: RoomView) -> tuple[Acting, list[Decision]]:
        """What the store asks under the room's lock: may the caller, with the role they have
        at that moment, make this change? The refusing decision is kept for the answer."""
        assert view.actor is not None  # MANAGE_MEMBERS is for members only
        refusals: list[Decision] = []

        def may(role: str | None, owner_involved: bool) -> bool:
            now = RoomView(view.room, None if role is None else Role(role), view.actor)
            actions = (Action.MANAGE_MEMBERS,) + ((Action.MANAGE_OWNERS,) if owner_involved else ())
            refusals.extend(d for d in map(now.decide, actions) if not d.allowed)
            return not refusals

        return Acting(view.actor.id, may), refusals

    async def set_member(
        self, view: RoomView, name: str, role: Role | str, address: str | None
    ) -> tuple[StoredUser, str | None, Role]:
        view.require(Action.MANAGE_MEMBERS)
        role = Role(role)
        user = await self._target(name)
        if role == Role.OWNER:
            view.require(Action.MANAGE_OWNERS)
        # The rules are checked again inside the store's transaction, on the roles of that
        # moment: checked only here, two owners demoting each other at once both passed.
        acting, refusals = self._acting(view)
        try:
            previous = await self.store.set_member(view.room.id, user.id, role.value, acting=acting)
        except NotPermitted:
            raise refusal(refusals[0]) from None
        except LastOwner:
            raise RoomConflict("last-owner", "a room keeps at least one owner") from None
        if previous is None:
            await self._record("member.added", view, address, user_id=user.id, role=role.value)
        elif previous != role.value:
            await self._record(
                "member.role_changed",
                view,
                address,
                user_id=user.id,
                previous=previous,
                role=role.value,
            )
        return user, previous, role

    async def remove_member(self, view: RoomView, name: str, address: str | None) -> None:
        """MemberNotFound when ``name`` is no member."""
        view.require(Action.MANAGE_MEMBERS)
        user = await self._target(name)
        acting, refusals = self._acting(view)
        try:
            removed = await self.store.remove_member(view.room.id, user.id, acting=acting)
        except NotPermitted:
            raise refusal(refusals[0]) from None
        except LastOwner:
            raise RoomConflict("last-owner", "a room keeps at least one owner") from None
        if removed is None:
            raise MemberNotFound(name)
        await self._record("member.removed", view, address, user_id=user.id, role=removed)

    async def invite(
        self, view: RoomView, asked: NewInvitation, address: str | None
    ) -> tuple[StoredInvitation, str]:
        view.require(Action.INVITE)
        role, seconds = asked.role, asked.expires_in
        view.require(*inviting(role))
        assert view.actor is not None  # INVITE is for members only
        token = INVITATION_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        invitation = await self.store.create_invitation(
            view.room.id,
            token_hash=secret_hash(token),
            role=role.value,
            expires_at=now + timedelta(seconds=seconds),
            created_by=view.actor.id,
            created_at=now,
        )
        await self._record(
            "invitation.created", view, address, invitation_id=invitation.id, role=role.value
        )
        return invitation, token

    async def invitations(self, view: RoomView) -> list[tuple[ListedInvitation, InvitationState]]:
        """The room's invitations, newest first. Listing is a read: those who may invite
        see them in an archived room too."""
        view.require(Action.INVITE, as_read=True)
        now = self.clock()
        return [
            (listed, invitation_state(listed, view.room, now))
            for listed in await self.store.invitations(view.room.id)
        ]

    async def revoke(self, view: RoomView, invitation_id: int, address: str | None) -> None:
        """Revoke a pending invitation; revoking a revoked one again changes nothing.

        Raises InvitationNotFound for an id not in the room and RoomConflict
        ``invitation-used`` for one accepted already.
        """
        view.require(Action.INVITE)
        invitation = await self.store.get_invitation(view.room.id, invitation_id)
        if invitation is None:
            raise InvitationNotFound
        view.require(*inviting(invitation.role))
        outcome, _ = await self.store.revoke_invitation(view.room.id, invitation_id, self.clock())
        if outcome is Revocation.UNKNOWN:
            raise InvitationNotFound
        if outcome is Revocation.USED:
            raise RoomConflict("invitation-used", "the invitation was accepted already")
        if outcome is Revocation.REVOKED:
            await self._record(
                "invitation.revoked",
                view,
                address,
                invitation_id=invitation.id,
                role=invitation.role,
            )

    async def accept(self, token: str, actor: StoredUser, address: str | None) -> RoomView:
        found = await self.store.find_invitation(secret_hash(token))
        room = None if found is None else await self.store.get_room(found.room_id)
        if found is None or room is None:
            raise InvitationNotFound
        # An invitation speaks for its creator: it is good only while they may still invite
        # (with that role), so demoting or removing them, or archiving the room, voids it.
        inviter = None
        if found.created_by is not None:
            inviter = await self.store.role_of(room.id, found.created_by)
        on_behalf = RoomView(room, None if inviter is None else Role(inviter), actor)
        for action in inviting(found.role):
            decision = on_behalf.decide(action)
            if decision.reason is Reason.ARCHIVED:
                raise refusal(decision)
            if not decision.allowed:
                raise InvitationUnusable("revoked")

        def creator_may_invite(role: str | None) -> bool:
            # asked again under the room's lock: the creator may be demoted meanwhile
            creator = RoomView(room, None if role is None else Role(role), actor)
            return all(creator.decide(action).allowed for action in inviting(found.role))

        outcome, invitation = await self.store.accept_invitation(
            secret_hash(token), actor.id, self.clock(), creator_may_invite=creator_may_invite
        )
        if outcome is Acceptance.UNKNOWN:
            raise InvitationNotFound
        if outcome is Acceptance.ALREADY_MEMBER:
            raise RoomConflict("already-a-member", "you are a member already")
        if outcome is not Acceptance.ACCEPTED or invitation is None:
            raise InvitationUnusable(outcome.value)
        view = RoomView(room, Role(invitation.role), actor)
        await self._record(
            "invitation.accepted",
            view,
            address,
            invitation_id=invitation.id,
            user_id=actor.id,
            role=invitation.role,
        )
        return view

    async def create_document(self, view: RoomView, name: str, address: str | None) -> str:
        view.require(Action.CREATE_DOCUMENT)
        if not valid_document_name(name):
            raise InvalidRoomInput(
                "name", "a document name is 1 to 255 printable characters, no / \\ ? # %"
            )
        if await self.documents.find_document(name) is not None:
            raise RoomConflict("document-exists", f"a document called {name!r} exists")
        document = await self.documents.ensure_document(name)
        try:
            await self.store.link_document(view.room.id, document.id)
        except DocumentTaken:
            raise RoomConflict("document-exists", f"a document called {name!r} exists") from None
        await self._record("document.created", view, address, document=name)
        return name

    async def document_names(self, view: RoomView) -> list[str]:
        view.require(Action.READ_DOCUMENT)
        return await self.store.document_names(view.room.id)

    async def audit_page(self, view: RoomView, limit: int) -> list[AuditEvent]:
        view.require(Action.READ_AUDIT)
        return await self.audit.page(room_id=view.room.id, limit=limit)
