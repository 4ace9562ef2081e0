"""Discussion commands: messages, replies, edits, deletion, reactions; typing and idle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.live.commands import Context, command
from server.live.events import (
    MESSAGE_DELETED,
    MESSAGE_EDITED,
    MESSAGE_POSTED,
    REACTIONS_CHANGED,
    message_payload,
    person,
)
from server.live.moderation import hold_back
from server.live.protocol import ID, TEXT, ErrorCode, LiveError
from server.policy import Action
from storage.accounts import StoredUser
from storage.discussion import MessageMissing, StoredMessage
from storage.room_events import StoredEvent


def _missing(exc: MessageMissing) -> LiveError:
    return LiveError(ErrorCode.NOT_FOUND, str(exc))


async def _own_message(ctx: Context, message_id: int) -> StoredMessage:
    user = ctx.user
    try:
        message = await ctx.services.discussion.message(ctx.room.id, message_id)
    except MessageMissing as exc:
        raise _missing(exc) from None
    if message.deleted_at is not None:
        raise LiveError(ErrorCode.NOT_FOUND, f"message {message_id} was deleted")
    if user is None or message.author_id != user.id:
        raise LiveError(ErrorCode.FORBIDDEN, "only its author may change a message")
    return message


async def _announced(
    ctx: Context,
    user: StoredUser,
    change: Callable[..., Awaitable[tuple[StoredMessage, StoredEvent]]],
    event: str,
) -> dict[str, Any]:
    """Make a change to the caller's message (``change`` gets the store's keywords),
    announce its event, and answer with both ids."""
    author = person(user)
    try:
        message, stored = await change(
            actor_user_id=user.id,
            now=ctx.now,
            event=event,
            describe=lambda m: message_payload(m, author),
        )
    except MessageMissing as exc:
        raise _missing(exc) from None
    ctx.publish(stored)
    return {"message_id": message.id, "event_id": stored.seq}


@command(
    "post",
    "Post a message (Markdown source); a reply to `parent_id` when given.",
    Action.POST_MESSAGE,
    optional=("parent_id",),
    body=TEXT,
    parent_id=ID,
)
async def post(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.POST_MESSAGE)
    body = ctx.check_length("body", fields["body"])
    await hold_back(ctx, user, new_message=True)
    ctx.throttle(user)
    author = person(user)
    try:
        message, event = await ctx.services.discussion.post(
            ctx.room.id,
            user.id,
            body,
            fields.get("parent_id"),
            now=ctx.now,
            event=MESSAGE_POSTED,
            describe=lambda m: message_payload(m, author),
        )
    except MessageMissing as exc:
        raise _missing(exc) from None
    ctx.publish(event)
    return {"message_id": message.id, "event_id": event.seq}


@command(
    "edit",
    "Replace the body of one's own message (the earlier text is kept as a revision).",
    Action.POST_MESSAGE,
    message_id=ID,
    body=TEXT,
)
async def edit(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.POST_MESSAGE)
    body = ctx.check_length("body", fields["body"])
    own = await _own_message(ctx, fields["message_id"])
    if own.hidden_at is not None:  # the moderator's decision stands: no rewording it away
        raise LiveError(ErrorCode.FORBIDDEN, "a moderator hid this message: it cannot be edited")
    await hold_back(ctx, user, new_message=False)
    ctx.throttle(user)
    change = ctx.services.discussion.edit
    return await _announced(
        ctx, user, lambda **kw: change(ctx.room.id, own.id, body, **kw), MESSAGE_EDITED
    )


@command(
    "delete",
    "Delete one's own message: its text is gone for everyone, its replies stay.",
    Action.READ_ROOM,
    message_id=ID,
)
async def delete(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    message = await _own_message(ctx, fields["message_id"])
    if ctx.room.archived_at is not None:
        raise LiveError(ErrorCode.ARCHIVED, "the room is archived")
    user = ctx.user
    assert user is not None
    change = ctx.services.discussion.delete
    return await _announced(
        ctx, user, lambda **kw: change(ctx.room.id, message.id, **kw), MESSAGE_DELETED
    )


@command(
    "react",
    "Add (`on`: true) or take back (`on`: false) one's reaction to a message.",
    Action.REACT,
    message_id=ID,
    emoji={"type": "string", "minLength": 1, "maxLength": 32},
    on={"type": "boolean"},
)
async def react(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.REACT)
    await hold_back(ctx, user, new_message=False)
    ctx.throttle(user)
    try:
        event, counts = await ctx.services.discussion.react(
            ctx.room.id,
            fields["message_id"],
            user.id,
            fields["emoji"],
            on=fields["on"],
            now=ctx.now,
            event=REACTIONS_CHANGED,
            describe=lambda m, by_emoji: {
                "message_id": m.id,
                "user": user.name,
                "emoji": fields["emoji"],
                "on": fields["on"],
                "reactions": by_emoji,
            },
        )
    except MessageMissing as exc:
        raise _missing(exc) from None
    if event is not None:
        ctx.publish(event)
    return {"reactions": counts, "event_id": None if event is None else event.seq}


@command(
    "typing",
    "Show (`active`: true) or stop the typing indicator; it stops by itself after 6 s.",
    Action.POST_MESSAGE,
    active={"type": "boolean"},
)
async def typing(ctx: Context, fields: dict[str, Any]) -> None:
    user = ctx.require(Action.POST_MESSAGE)
    await ctx.live_room.set_typing(user, fields["active"])


@command(
    "idle",
    "Tell the room one is away (`idle`: true) or back.",
    Action.READ_ROOM,
    idle={"type": "boolean"},
)
async def idle(ctx: Context, fields: dict[str, Any]) -> None:
    if ctx.user is None:
        raise LiveError(ErrorCode.FORBIDDEN, "sign in to be present")
    await ctx.live_room.set_idle(ctx.user, fields["idle"])
