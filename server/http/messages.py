"""`/api/v1/rooms/{slug}/messages…`: a room's discussion over REST — pages of history, a
message's earlier versions, and search (docs/protocol.md, docs/search.md).

Readable by whoever may read the room; as on the live socket, a deleted message has no text
and a hidden one shows its text to moderators only (server/live/visibility.py).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.http.endpoint import Api, Call, NoBody, NoQuery
from server.http.params import MAX_ID
from server.http.types import OptionalTime, Person, Time, given, iso, optional_iso
from server.live.history import MessagePage, ShownMessage

MAX_LIMIT = 200
api = Api("messages")

Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)]
Before = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID, description="a message id")]


class MessageHidden(msgspec.Struct):
    reason: str | None


class RoomMessage(msgspec.Struct):
    id: int
    parent_id: int | None
    author: Person | None
    body: str | None
    created_at: Time
    edited_at: OptionalTime
    deleted: bool
    hidden: MessageHidden | None
    reactions: dict[str, int]


class RoomMessages(msgspec.Struct):
    messages: list[RoomMessage]
    next_before: int | None


class MessagesQuery(msgspec.Struct):
    limit: Limit = 50
    before: Before | msgspec.UnsetType = msgspec.UNSET


class MessageSearchQuery(msgspec.Struct):
    q: Annotated[str, msgspec.Meta(pattern=r"\S", description="words, as prefixes")]
    limit: Limit = 50
    before: Before | msgspec.UnsetType = msgspec.UNSET


class MessageRevision(msgspec.Struct):
    body: str
    replaced_at: Time


class MessageRevisions(msgspec.Struct):
    message_id: int
    revisions: list[MessageRevision]


def _shown(shown: ShownMessage) -> RoomMessage:
    message, author = shown.message, shown.author
    return RoomMessage(
        message.id,
        message.parent_id,
        None if author is None else Person(author.name, author.display_name),
        shown.body,
        iso(message.created_at),
        optional_iso(message.edited_at),
        message.deleted_at is not None,
        None if message.hidden_at is None else MessageHidden(message.hidden_reason),
        shown.reactions,
    )


def _page(page: MessagePage) -> RoomMessages:
    return RoomMessages([_shown(m) for m in page.messages], page.next_before)


@api.get(
    "/rooms/{slug}/messages",
    query=MessagesQuery,
    answer=RoomMessages,
    errors=(401, 404, 422),
    auth="optional",
)
async def room_messages(call: Call[NoBody, MessagesQuery]) -> RoomMessages:
    """The room's messages, newest first; `before` (a message id) pages back"""
    view, query = await call.room(), call.query
    page = await call.services.messages.page(view, before=given(query.before), limit=query.limit)
    return _page(page)


@api.get(
    "/rooms/{slug}/messages/search",
    query=MessageSearchQuery,
    answer=RoomMessages,
    errors=(401, 404, 422),
    auth="optional",
)
async def search_messages(call: Call[NoBody, MessageSearchQuery]) -> RoomMessages:
    """Messages matching `q` (docs/search.md), newest first, paged like the history"""
    view, query = await call.room(), call.query
    page = await call.services.messages.search(
        view, query.q, before=given(query.before), limit=query.limit
    )
    return _page(page)


@api.get(
    "/rooms/{slug}/messages/{message_id}/revisions",
    answer=MessageRevisions,
    errors=(401, 404),
    auth="optional",
    ids=("message_id",),
)
async def message_revisions(call: Call[NoBody, NoQuery]) -> MessageRevisions:
    """A message's earlier texts, oldest first (none once it is deleted; moderators only
    while it is hidden)"""
    view = await call.room()
    message, earlier = await call.services.messages.revisions(view, call.path_id("message_id"))
    shown = [MessageRevision(r.body, iso(r.replaced_at)) for r in earlier]
    return MessageRevisions(message.id, shown)


routes = api.routes
