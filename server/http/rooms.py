"""`/api/v1/rooms/*` and `/api/v1/invitations/*` (docs/rooms.md).

A room the caller may not know of answers 404 exactly like an unknown one; a refusal is
401 for an anonymous caller and 403 for a signed-in one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.accounts.service import Principal
from server.http.auth import app_services, client_address, principal, unauthorized
from server.http.bodies import json_object
from server.http.params import int_param, path_id
from server.http.problems import Problem
from server.policy import Reason
from server.rooms import Conflict, Denied, InvalidInput, InvitationUnusable, RoomNotFound
from server.rooms.service import InvitationState, Rooms, RoomView
from storage.accounts import StoredUser
from storage.audit import AuditEvent
from storage.rooms import ListedInvitation, StoredInvitation, StoredMember

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

MAX_AUDIT_LIMIT = 200


def _rooms(request: Request) -> Rooms:
    return app_services(request).rooms


async def _caller(request: Request) -> StoredUser | None:
    """The signed-in user, None without an Authorization header; 401 for a bad token."""
    if "authorization" not in request.headers:
        return None
    caller: Principal = await principal(request)
    return caller.user


def _not_found(slug: str) -> Problem:
    return Problem(404, "room-not-found", "Room not found", f"there is no room {slug!r}")


def _problem(exc: Exception, slug: str) -> Problem:
    if isinstance(exc, RoomNotFound):
        return _not_found(slug)
    if isinstance(exc, Denied):
        reason = exc.decision.reason
        if reason is Reason.HIDDEN:
            return _not_found(slug)
        if reason is Reason.NOT_AUTHENTICATED:
            return unauthorized()
        if reason is Reason.ARCHIVED:
            return Problem(
                403, "room-archived", "Room archived", "the room is archived", reason=reason.value
            )
        return Problem(
            403, "forbidden", "Forbidden", "your role does not allow this", reason=reason.value
        )
    if isinstance(exc, Conflict):
        return Problem(409, exc.slug, "Conflict", str(exc))
    if isinstance(exc, InvalidInput):
        return Problem(422, "invalid-parameter", "Invalid parameter", str(exc), parameter=exc.field)
    if isinstance(exc, InvitationUnusable):
        if exc.outcome == "unknown":
            return Problem(
                404, "invitation-not-found", "Invitation not found", "no such invitation"
            )
        if exc.outcome == "already_member":
            return Problem(409, "already-a-member", "Conflict", "you are a member already")
        return Problem(
            410,
            f"invitation-{exc.outcome}",
            "Invitation unusable",
            f"the invitation is {exc.outcome}",
        )
    raise exc


async def in_room(
    request: Request, action: Callable[[Rooms, RoomView, StoredUser | None], Awaitable[Response]]
) -> Response:
    slug = request.path_params["slug"]
    caller = await _caller(request)
    rooms = _rooms(request)
    try:
        view = await rooms.view(slug, caller)
        return await action(rooms, view, caller)
    except (RoomNotFound, Denied, Conflict, InvalidInput, InvitationUnusable) as exc:
        raise _problem(exc, slug) from None


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def room_json(view: RoomView) -> dict[str, Any]:
    room = view.room
    return {
        "slug": room.slug,
        "title": room.title,
        "description": room.description,
        "visibility": room.visibility,
        "archived_at": _iso(room.archived_at),
        "created_at": _iso(room.created_at),
        "role": None if view.role is None else view.role.value,
    }


def _member_json(member: StoredMember) -> dict[str, Any]:
    return {
        "user_id": member.user_id,
        "name": member.name,
        "display_name": member.display_name,
        "role": member.role,
    }


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor_user_id": event.actor_user_id,
        "action": event.action,
        "address": event.address,
        "details": event.details,
    }


def _invitation_json(invitation: StoredInvitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "role": invitation.role,
        "expires_at": _iso(invitation.expires_at),
        "created_at": _iso(invitation.created_at),
    }


def _listed_invitation_json(listed: ListedInvitation, state: InvitationState) -> dict[str, Any]:
    invitation = listed.invitation
    return {
        **_invitation_json(invitation),
        "created_by": listed.created_by_name,
        "used_by": listed.used_by_name,
        "used_at": _iso(invitation.used_at),
        "revoked_at": _iso(invitation.revoked_at),
        "state": state.value,
    }


async def rooms(request: Request) -> Response:
    if request.method == "GET":
        views = await _rooms(request).readable(await _caller(request))
        return JSONResponse({"rooms": [room_json(v) for v in views]})
    caller = (await principal(request)).user
    body = await json_object(request)
    try:
        view = await _rooms(request).create(caller, body, client_address(request))
    except (Conflict, InvalidInput) as exc:
        raise _problem(exc, str(body.get("slug"))) from None
    return JSONResponse(room_json(view), status_code=201)


async def room(request: Request) -> Response:
    body = await json_object(request) if request.method == "PATCH" else {}

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        if request.method == "PATCH":
            view = await rooms.update(view, body, client_address(request))
        documents = await rooms.document_names(view)
        return JSONResponse({**room_json(view), "documents": documents})

    return await in_room(request, act)


async def archive(request: Request) -> Response:
    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        await rooms.archive(view, client_address(request))
        return Response(status_code=204)

    return await in_room(request, act)


async def members(request: Request) -> Response:
    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        listed = await rooms.members(view)
        return JSONResponse({"members": [_member_json(m) for m in listed]})

    return await in_room(request, act)


async def member(request: Request) -> Response:
    name = request.path_params["user"]
    body = await json_object(request) if request.method == "PUT" else {}

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        if request.method == "DELETE":
            removed = await rooms.remove_member(view, name, client_address(request))
            if not removed:
                raise Problem(
                    404, "member-not-found", "Member not found", f"{name!r} is not a member"
                )
            return Response(status_code=204)
        user, previous, role = await rooms.set_member(
            view, name, body.get("role"), client_address(request)
        )
        return JSONResponse(
            {
                "user_id": user.id,
                "name": user.name,
                "display_name": user.display_name,
                "role": role,
            },
            status_code=201 if previous is None else 200,
        )

    return await in_room(request, act)


async def invitations(request: Request) -> Response:
    body = await json_object(request) if request.method == "POST" else {}

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        if request.method == "GET":
            listed = await rooms.invitations(view)
            return JSONResponse(
                {"invitations": [_listed_invitation_json(i, state) for i, state in listed]}
            )
        invitation, token = await rooms.invite(view, body, client_address(request))
        return JSONResponse(
            {**_invitation_json(invitation), "token": token},
            status_code=201,
            headers={"Cache-Control": "no-store"},
        )

    return await in_room(request, act)


async def invitation(request: Request) -> Response:
    invitation_id = path_id(request.path_params["invitation_id"])

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        await rooms.revoke(view, invitation_id, client_address(request))
        return Response(status_code=204)

    return await in_room(request, act)


async def accept(request: Request) -> Response:
    caller = (await principal(request)).user
    try:
        view = await _rooms(request).accept(
            request.path_params["token"], caller, client_address(request)
        )
    except (Denied, InvitationUnusable) as exc:
        raise _problem(exc, "") from None
    return JSONResponse(room_json(view))


async def documents(request: Request) -> Response:
    body = await json_object(request)

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        name = await rooms.create_document(view, body.get("name"), client_address(request))
        return JSONResponse({"name": name, "room": view.room.slug}, status_code=201)

    return await in_room(request, act)


async def audit(request: Request) -> Response:
    limit = int_param(request, "limit", 50, 1, MAX_AUDIT_LIMIT)

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        events = await rooms.audit_page(view, limit)
        return JSONResponse({"events": [_event_json(e) for e in events]})

    return await in_room(request, act)
