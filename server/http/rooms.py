"""`/api/v1/rooms/*` and `/api/v1/invitations/*` (docs/rooms.md).

A room the caller may not know of answers 404 exactly like an unknown one; a refusal is
401 for an anonymous caller and 403 for a signed-in one (server/http/errors.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from server.http.endpoint import Api, Call, NoBody, NoQuery, Reply
from server.http.types import OptionalTime, Time, iso, optional_iso
from server.rooms.commands import Membership, NewDocument, NewInvitation, NewRoom, RoomChanges
from server.rooms.service import InvitationState, RoomView
from storage.audit import AuditEvent
from storage.rooms import ListedInvitation, StoredInvitation, StoredMember

MAX_AUDIT_LIMIT = 200
api = Api("rooms")
SLUG = ("slug",)


class Room(msgspec.Struct):
    slug: str
    title: str
    description: str
    visibility: str
    archived_at: OptionalTime
    created_at: OptionalTime
    role: str | None


class RoomList(msgspec.Struct):
    rooms: list[Room]


class RoomWithDocuments(Room):
    documents: list[str]


class Member(msgspec.Struct):
    user_id: int
    name: str
    display_name: str
    role: str


class MemberList(msgspec.Struct):
    members: list[Member]


class Invitation(msgspec.Struct):
    id: int
    role: str
    expires_at: OptionalTime
    created_at: OptionalTime


class IssuedInvitation(Invitation):
    token: str


class ListedInvitationShown(Invitation):
    created_by: str | None
    used_by: str | None
    used_at: OptionalTime
    revoked_at: OptionalTime
    state: str


class InvitationList(msgspec.Struct):
    invitations: list[ListedInvitationShown]


class RoomDocument(msgspec.Struct):
    name: str
    room: str


class RoomAuditEvent(msgspec.Struct):
    id: int
    at: Time
    actor_user_id: int | None
    action: str
    address: str | None
    details: dict[str, Any]


class RoomAudit(msgspec.Struct):
    events: list[RoomAuditEvent]


class RoomAuditQuery(msgspec.Struct):
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_AUDIT_LIMIT)] = 50


def room_shown(view: RoomView) -> Room:
    room = view.room
    return Room(
        room.slug,
        room.title,
        room.description,
        room.visibility,
        optional_iso(room.archived_at),
        optional_iso(room.created_at),
        None if view.role is None else view.role.value,
    )


def _member_shown(member: StoredMember) -> Member:
    return Member(member.user_id, member.name, member.display_name, member.role)


def _invitation_fields(invitation: StoredInvitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "role": invitation.role,
        "expires_at": optional_iso(invitation.expires_at),
        "created_at": optional_iso(invitation.created_at),
    }


def _listed_invitation(listed: ListedInvitation, state: InvitationState) -> ListedInvitationShown:
    invitation = listed.invitation
    return ListedInvitationShown(
        **_invitation_fields(invitation),
        created_by=listed.created_by_name,
        used_by=listed.used_by_name,
        used_at=optional_iso(invitation.used_at),
        revoked_at=optional_iso(invitation.revoked_at),
        state=state.value,
    )


@api.get("/rooms", answer=RoomList, errors=(401,), auth="optional")
async def rooms(call: Call[NoBody, NoQuery]) -> RoomList:
    """The rooms the caller may read (public ones for anonymous callers)"""
    views = await call.services.rooms.readable(await call.caller())
    return RoomList([room_shown(v) for v in views])


@api.post(
    "/rooms", body=NewRoom, answer=Room, status=201, errors=(400, 401, 409, 422), auth="bearer"
)
async def create_room(call: Call[NewRoom, NoQuery]) -> Room:
    """Create a room; the caller becomes its owner"""
    caller = (await call.principal()).user
    return room_shown(await call.services.rooms.create(caller, call.body, call.address))


def _room_with_documents(view: RoomView, documents: list[str]) -> RoomWithDocuments:
    # the room as `room_shown` shows it, and its documents
    return RoomWithDocuments(**msgspec.structs.asdict(room_shown(view)), documents=documents)


async def _with_documents(call: Call[Any, NoQuery], view: RoomView) -> RoomWithDocuments:
    return _room_with_documents(view, await call.services.rooms.document_names(view))


@api.get("/rooms/{slug}", answer=RoomWithDocuments, errors=(401, 404), auth="optional")
async def room(call: Call[NoBody, NoQuery]) -> RoomWithDocuments:
    """A room with its documents"""
    rooms = call.services.rooms
    view, documents = await rooms.view_with_documents(call.path("slug"), await call.caller())
    return _room_with_documents(view, documents)


@api.patch(
    "/rooms/{slug}",
    body=RoomChanges,
    answer=RoomWithDocuments,
    errors=(400, 401, 403, 404, 422),
    auth="bearer",
)
async def update_room(call: Call[RoomChanges, NoQuery]) -> RoomWithDocuments:
    """Change a room's title, description or visibility (owners)"""
    view = await call.services.rooms.update(await call.room(), call.body, call.address)
    return await _with_documents(call, view)


@api.post("/rooms/{slug}/archive", status=204, errors=(401, 403, 404), auth="bearer")
async def archive(call: Call[NoBody, NoQuery]) -> None:
    """Archive a room: read-only for everyone from now on (owners)"""
    await call.services.rooms.archive(await call.room(), call.address)


@api.get("/rooms/{slug}/members", answer=MemberList, errors=(401, 403, 404), auth="optional")
async def members(call: Call[NoBody, NoQuery]) -> MemberList:
    """The room's members and their roles"""
    listed = await call.services.rooms.members(await call.room())
    return MemberList([_member_shown(m) for m in listed])


@api.put(
    "/rooms/{slug}/members/{user}",
    body=Membership,
    answer=Member,
    status=200,
    also=(201,),
    errors=(400, 401, 403, 404, 409, 422),
    auth="bearer",
)
async def set_member(call: Call[Membership, NoQuery]) -> Reply:
    """Add a member or change their role (201 when added)"""
    user, previous, role = await call.services.rooms.set_member(
        await call.room(), call.path("user"), call.body.role, call.address
    )
    shown = Member(user.id, user.name, user.display_name, role.value)
    return Reply(shown, status=201 if previous is None else 200)


@api.delete("/rooms/{slug}/members/{user}", status=204, errors=(401, 403, 404, 409), auth="bearer")
async def remove_member(call: Call[NoBody, NoQuery]) -> None:
    """Remove a member (a room keeps at least one owner)"""
    await call.services.rooms.remove_member(await call.room(), call.path("user"), call.address)


@api.get("/rooms/{slug}/invitations", answer=InvitationList, errors=(401, 403, 404), auth="bearer")
async def invitations(call: Call[NoBody, NoQuery]) -> InvitationList:
    """The room's invitations, newest first (those who may invite)"""
    listed = await call.services.rooms.invitations(await call.room())
    return InvitationList([_listed_invitation(i, state) for i, state in listed])


@api.post(
    "/rooms/{slug}/invitations",
    body=NewInvitation,
    answer=IssuedInvitation,
    status=201,
    errors=(400, 401, 403, 404, 422),
    auth="bearer",
)
async def invite(call: Call[NewInvitation, NoQuery]) -> Reply:
    """Create an invitation link; its token is in the answer only"""
    invitation, token = await call.services.rooms.invite(await call.room(), call.body, call.address)
    shown = IssuedInvitation(**_invitation_fields(invitation), token=token)
    return Reply(shown, headers={"Cache-Control": "no-store"})


@api.delete(
    "/rooms/{slug}/invitations/{invitation_id}",
    status=204,
    errors=(401, 403, 404, 409),
    auth="bearer",
    ids=("invitation_id",),
)
async def revoke_invitation(call: Call[NoBody, NoQuery]) -> None:
    """Revoke a pending invitation"""
    await call.services.rooms.revoke(await call.room(), call.path_id("invitation_id"), call.address)


@api.post(
    "/invitations/{token}/accept", answer=Room, errors=(401, 403, 404, 409, 410), auth="bearer"
)
async def accept(call: Call[NoBody, NoQuery]) -> Room:
    """Accept an invitation: the caller becomes a member with its role"""
    caller = (await call.principal()).user
    view = await call.services.rooms.accept(call.path("token"), caller, call.address)
    return room_shown(view)


@api.post(
    "/rooms/{slug}/documents",
    body=NewDocument,
    answer=RoomDocument,
    status=201,
    errors=(400, 401, 403, 404, 409, 422),
    auth="bearer",
)
async def create_document(call: Call[NewDocument, NoQuery]) -> RoomDocument:
    """Create a document in the room"""
    view = await call.room()
    name = await call.services.rooms.create_document(view, call.body.name, call.address)
    return RoomDocument(name, view.room.slug)


def _event_shown(event: AuditEvent) -> RoomAuditEvent:
    return RoomAuditEvent(
        event.id, iso(event.at), event.actor_user_id, event.action, event.address, event.details
    )


@api.get(
    "/rooms/{slug}/audit",
    query=RoomAuditQuery,
    answer=RoomAudit,
    errors=(401, 403, 404, 422),
    auth="bearer",
)
async def room_audit(call: Call[NoBody, RoomAuditQuery]) -> RoomAudit:
    """The room's audit trail, newest first (owners)"""
    events = await call.services.rooms.audit_page(await call.room(), call.query.limit)
    return RoomAudit([_event_shown(e) for e in events])


routes = api.routes
