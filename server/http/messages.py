"""`/api/v1/rooms/{slug}/messages…`: a room's discussion over REST — pages of history, a
message's earlier versions, and search (docs/protocol.md, docs/search.md).

Readable by whoever may read the room; as on the live socket, a deleted message has no text
and a hidden one shows its text to moderators only.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.http.compat import app_services, in_room
from server.http.params import MAX_ID, int_param, optional_int_param, path_id
from server.http.problems import Problem
from server.policy import Role
from server.rooms.service import Rooms, RoomView
from storage.accounts import StoredUser
from storage.discussion import MessageMissing, StoredMessage
from storage.search import MessageSearch

MAX_LIMIT = 200
MODERATORS = frozenset({Role.OWNER, Role.MODERATOR})


async def _present(
    request: Request, view: RoomView, messages: list[StoredMessage]
) -> list[dict[str, Any]]:
    services = app_services(request)
    authors = await services.accounts.store.users_by_id(
        {m.author_id for m in messages if m.author_id is not None}
    )
    reactions = await services.discussion.reaction_counts([m.id for m in messages])
    moderator = view.role in MODERATORS
    shown = []
    for message in messages:
        author = None if message.author_id is None else authors.get(message.author_id)
        hidden = message.hidden_at is not None
        body_visible = message.deleted_at is None and (not hidden or moderator)
        shown.append(
            {
                "id": message.id,
                "parent_id": message.parent_id,
                "author": _person(author),
                "body": message.body if body_visible else None,
                "created_at": message.created_at.isoformat(),
                "edited_at": None if message.edited_at is None else message.edited_at.isoformat(),
                "deleted": message.deleted_at is not None,
                "hidden": {"reason": message.hidden_reason} if hidden else None,
                "reactions": reactions.get(message.id, {}),
            }
        )
    return shown


def _person(user: StoredUser | None) -> dict[str, str] | None:
    return None if user is None else {"name": user.name, "display_name": user.display_name}


def _page(messages: list[dict[str, Any]], ids: list[int], limit: int) -> dict[str, Any]:
    """A page; `next_before` is where the next one starts (None: this was the last)."""
    return {"messages": messages, "next_before": ids[-1] if len(ids) == limit else None}


async def messages(request: Request) -> Response:
    """Newest first; `before` (a message id) pages back, `limit` up to 200."""
    limit = int_param(request, "limit", 50, 1, MAX_LIMIT)
    before = optional_int_param(request, "before", 1, MAX_ID)

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        found = await app_services(request).discussion.messages(
            view.room.id, before=before, limit=limit
        )
        ids = [m.id for m in found]
        return JSONResponse(_page(await _present(request, view, found), ids, limit))

    return await in_room(request, act)


async def revisions(request: Request) -> Response:
    """A message's earlier texts, oldest first (none once it is deleted; moderators only
    while it is hidden)."""
    message_id = path_id(request.path_params["message_id"])

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        discussion = app_services(request).discussion
        try:
            message = await discussion.message(view.room.id, message_id)
        except MessageMissing:
            raise Problem(
                404, "message-not-found", "Message not found", f"no message {message_id}"
            ) from None
        visible = message.hidden_at is None or view.role in MODERATORS
        earlier = await discussion.revisions(message.id) if visible else []
        return JSONResponse(
            {
                "message_id": message.id,
                "revisions": [
                    {"body": r.body, "replaced_at": r.replaced_at.isoformat()} for r in earlier
                ],
            }
        )

    return await in_room(request, act)


async def search(request: Request) -> Response:
    """Messages matching `q` (docs/search.md), newest first, paged like the history."""
    query = request.query_params.get("q", "")
    limit = int_param(request, "limit", 50, 1, MAX_LIMIT)
    before = optional_int_param(request, "before", 1, MAX_ID)
    if not query.strip():
        raise Problem(
            422, "invalid-parameter", "Invalid parameter", "q must not be empty", parameter="q"
        )

    async def act(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        services = app_services(request)
        try:
            ids = await MessageSearch(services.database).search(
                view.room.id,
                query,
                limit=limit,
                before=before,
                hidden_too=view.role in MODERATORS,
            )
        except ValueError as exc:
            raise Problem(
                422, "invalid-parameter", "Invalid parameter", str(exc), parameter="q"
            ) from None
        found = await services.discussion.messages_by_id(view.room.id, ids)
        ordered = [found[i] for i in ids if i in found]
        if view.role not in MODERATORS:  # a hidden message's words must not be findable
            ordered = [m for m in ordered if m.hidden_at is None]
        return JSONResponse(_page(await _present(request, view, ordered), ids, limit))

    return await in_room(request, act)
