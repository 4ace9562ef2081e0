"""Moderation commands: hide, unhide, remove, mute, unmute, slow mode, lock (flags and the
queue: server/live/flags.py).

Every moderation command needs ``moderate`` (moderators and owners). Each is one transaction
that also appends its room event (storage/moderation.py); the event is then announced to the
room and the action written to the audit log (``live.…``, with the room, the moderator and the
details). Members flag messages (``flag``); flags and their resolution are events for
moderators only: others get a `withheld` stub of the same number (server/live/events.py).

`hold_back` is what the discussion commands ask before a member speaks: a muted member gets
`muted` (with `until`), a message too soon in slow mode `slow_mode` (with `retry_after`).
Moderators and owners are never muted or slowed. docs/moderation.md describes it all.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Iterator
from datetime import timedelta
from typing import Any

from server.live.commands import Context, command
from server.live.events import message_payload, person
from server.live.protocol import ID, REASON, USER, ErrorCode, LiveError
from server.policy import Action, Role
from storage.accounts import StoredUser
from storage.discussion import StoredMessage
from storage.moderation import (
    FlagMissing,
    MessageMissing,
    ModerationConflict,
    ModerationStore,
    StoredMute,
)
from storage.room_events import StoredEvent

MESSAGE_HIDDEN = "message.hidden"
MESSAGE_UNHIDDEN = "message.unhidden"
MESSAGE_REMOVED = "message.removed"
MEMBER_MUTED = "member.muted"
MEMBER_UNMUTED = "member.unmuted"
ROOM_SLOW_MODE = "room.slow_mode"
ROOM_LOCKED = "room.locked"

MAX_MUTE_SECONDS = 30 * 24 * 3600
MAX_SLOW_MODE_SECONDS = 3600
_UNMUTABLE = frozenset({Role.OWNER.value, Role.MODERATOR.value})


def moderation_store(ctx: Context) -> ModerationStore:
    return ctx.services.moderation


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """Storage refusals as the error events the caller gets."""
    try:
        yield
    except (MessageMissing, FlagMissing) as exc:
        raise LiveError(ErrorCode.NOT_FOUND, str(exc)) from None
    except ModerationConflict as exc:
        raise LiveError(ErrorCode.CONFLICT, str(exc)) from None


async def audit(ctx: Context, action: str, actor: StoredUser, **details: Any) -> None:
    await ctx.services.audit.record(
        f"live.{action}", actor_user_id=actor.id, room_id=ctx.room.id, details=details, at=ctx.now
    )


async def published_after(ctx: Context, event: StoredEvent, audited: Awaitable[None]) -> None:
    """Publish ``event`` once ``audited`` is recorded, even if recording fails.

    For a change to the room itself (slow mode, the lock): every command reads the room from
    the admission's short memory, which the audit record empties (server/services.py). A
    member who sees the event and writes at once must be judged by the room as changed.
    """
    try:
        await audited
    finally:
        ctx.publish(event)


def shown_message(message: StoredMessage, author: dict[str, str] | None) -> dict[str, Any]:
    """An event's message with its hidden state (`present` hides the body from others)."""
    payload = message_payload(message, author)
    if message.hidden_at is not None:
        payload["message"]["hidden"] = {"reason": message.hidden_reason}
    return payload


async def _message_and_author(
    ctx: Context, message_id: int
) -> tuple[StoredMessage, dict[str, str] | None]:
    with refusals():
        message = await ctx.services.discussion.message(ctx.room.id, message_id)
    if message.deleted_at is not None:
        raise LiveError(ErrorCode.NOT_FOUND, f"message {message_id} was deleted")
    author = None
    if message.author_id is not None:
        author = person(await ctx.services.accounts.get_user(message.author_id))
    return message, author


async def _member(ctx: Context, name: str) -> tuple[StoredUser, str]:
    """The user called ``name`` and their role here; not_found unless they are a member."""
    user = await ctx.services.accounts.find_user(name)
    role = None if user is None else await moderation_store(ctx).member_role(ctx.room.id, user.id)
    if user is None or role is None:
        raise LiveError(ErrorCode.NOT_FOUND, f"no member {name!r} in this room")
    return user, role


# -- enforcement (asked by the discussion commands) -----------------------------------------
async def hold_back(ctx: Context, user: StoredUser, *, new_message: bool) -> None:
    """LiveError(muted) if the member is muted; LiveError(slow_mode) if ``new_message`` comes
    sooner than slow mode allows. Moderators and owners pass."""
    if ctx.allowed(Action.MODERATE):
        return
    store = moderation_store(ctx)
    until = await store.muted_until(ctx.room.id, user.id, ctx.now)
    if until is not None:
        raise LiveError(
            ErrorCode.MUTED, f"you are muted until {until.isoformat()}", until=until.isoformat()
        )
    seconds = ctx.room.slow_mode_seconds
    if not new_message or seconds <= 0:
        return
    last = await store.last_post_at(ctx.room.id, user.id)
    if last is None:
        return
    wait = seconds - (ctx.now - last).total_seconds()
    if wait > 0:
        raise LiveError(
            ErrorCode.SLOW_MODE,
            f"slow mode: one message per {seconds} seconds",
            retry_after=math.ceil(wait * 1000) / 1000,
        )


# -- messages -------------------------------------------------------------------------------
@command(
    "hide",
    "Hide a message with a reason: moderators still see its text, everyone else the reason.",
    Action.MODERATE,
    message_id=ID,
    reason=REASON,
)
async def hide(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.MODERATE)
    message, author = await _message_and_author(ctx, fields["message_id"])
    with refusals():
        _, event = await moderation_store(ctx).hide(
            ctx.room.id,
            message.id,
            reason=fields["reason"],
            actor_user_id=user.id,
            now=ctx.now,
            event=MESSAGE_HIDDEN,
            describe=lambda m: shown_message(m, author),
        )
    ctx.publish(event)
    await audit(ctx, "message_hidden", user, message_id=message.id, reason=fields["reason"])
    return {"message_id": message.id, "event_id": event.seq}


@command("unhide", "Show a hidden message to everyone again.", Action.MODERATE, message_id=ID)
async def unhide(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.MODERATE)
    message, author = await _message_and_author(ctx, fields["message_id"])
    with refusals():
        _, event = await moderation_store(ctx).unhide(
            ctx.room.id,
            message.id,
            actor_user_id=user.id,
            now=ctx.now,
            event=MESSAGE_UNHIDDEN,
            describe=lambda m: shown_message(m, author),
        )
    ctx.publish(event)
    await audit(ctx, "message_unhidden", user, message_id=message.id)
    return {"message_id": message.id, "event_id": event.seq}


@command(
    "remove",
    "Delete anyone's message, with a reason: as its author's deletion, its text is gone.",
    Action.MODERATE,
    message_id=ID,
    reason=REASON,
)
async def remove(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.MODERATE)
    message, author = await _message_and_author(ctx, fields["message_id"])
    reason = fields["reason"]
    with refusals():
        _, event = await moderation_store(ctx).remove(
            ctx.room.id,
            message.id,
            actor_user_id=user.id,
            now=ctx.now,
            event=MESSAGE_REMOVED,
            describe=lambda m: {**shown_message(m, author), "reason": reason},
        )
    ctx.publish(event)
    await audit(ctx, "message_removed", user, message_id=message.id, reason=reason)
    return {"message_id": message.id, "event_id": event.seq}


# -- members --------------------------------------------------------------------------------
@command(
    "mute",
    "Mute a member for `seconds` (up to 30 days): they still read, but may not post, edit or "
    "react. Muting a muted member replaces the mute.",
    Action.MODERATE,
    user=USER,
    seconds={"type": "integer", "minimum": 1, "maximum": MAX_MUTE_SECONDS},
    reason=REASON,
)
async def mute(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.MODERATE)
    target, role = await _member(ctx, fields["user"])
    if role in _UNMUTABLE:
        raise LiveError(ErrorCode.FORBIDDEN, "moderators and owners cannot be muted")
    until = ctx.now + timedelta(seconds=fields["seconds"])
    shown = person(target)

    def describe(m: StoredMute) -> dict[str, Any]:
        return {"user": shown, "until": m.until.isoformat(), "reason": m.reason}

    with refusals():
        _, event = await moderation_store(ctx).mute(
            ctx.room.id,
            target.id,
            until=until,
            reason=fields["reason"],
            actor_user_id=user.id,
            now=ctx.now,
            event=MEMBER_MUTED,
            describe=describe,
        )
    ctx.publish(event)
    await audit(
        ctx,
        "member_muted",
        user,
        user=target.name,
        user_id=target.id,
        seconds=fields["seconds"],
        until=until.isoformat(),
        reason=fields["reason"],
    )
    return {"until": until.isoformat(), "event_id": event.seq}


@command("unmute", "End a member's mute before its time.", Action.MODERATE, user=USER)
async def unmute(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.MODERATE)
    target, _ = await _member(ctx, fields["user"])
    with refusals():
        event = await moderation_store(ctx).unmute(
            ctx.room.id,
            target.id,
            actor_user_id=user.id,
            now=ctx.now,
            event=MEMBER_UNMUTED,
            payload={"user": person(target)},
        )
    ctx.publish(event)
    await audit(ctx, "member_unmuted", user, user=target.name, user_id=target.id)
    return {"event_id": event.seq}


# -- the room -------------------------------------------------------------------------------
@command(
    "slow_mode",
    "At most one message per `seconds` from each member but moderators (0 turns it off).",
    Action.MODERATE,
    seconds={"type": "integer", "minimum": 0, "maximum": MAX_SLOW_MODE_SECONDS},
)
async def slow_mode(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.MODERATE)
    seconds = fields["seconds"]
    with refusals():
        event = await moderation_store(ctx).set_slow_mode(
            ctx.room.id,
            seconds,
            actor_user_id=user.id,
            now=ctx.now,
            event=ROOM_SLOW_MODE,
            payload={"seconds": seconds},
        )
    await published_after(ctx, event, audit(ctx, "slow_mode", user, seconds=seconds))
    return {"event_id": event.seq}


@command(
    "lock",
    "Lock the room (`locked`: true; read-only for all but moderators and owners) or unlock it.",
    Action.MODERATE,
    locked={"type": "boolean"},
)
async def lock(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.MODERATE)
    locked = fields["locked"]
    with refusals():
        event = await moderation_store(ctx).set_locked(
            ctx.room.id,
            locked,
            actor_user_id=user.id,
            now=ctx.now,
            event=ROOM_LOCKED,
            payload={"locked": locked},
        )
    action = "room_locked" if locked else "room_unlocked"
    await published_after(ctx, event, audit(ctx, action, user))
    return {"event_id": event.seq}
