"""Flags: members flag messages for the moderators (`flag`), who close them (`resolve_flag`)
and read the open ones with their messages (`flags`, the moderation queue).

Flags and their resolution are room events for moderators only: others get a `withheld` stub
of the same number (server/live/events.py). Each command is one transaction that appends its
event (storage/moderation.py), then announces it and writes the audit log, as the other
moderation commands (server/live/moderation.py). docs/moderation.md describes it all.
"""

from __future__ import annotations

from typing import Any

from server.live.commands import Context, command
from server.live.events import MODERATORS, person
from server.live.moderation import audit, moderation_store, refusals, shown_message
from server.live.protocol import ID, REASON
from server.policy import Action
from storage.moderation import FLAG_OUTCOMES, QueuedFlag, StoredFlag, StoredPerson

FLAG_RAISED = "flag.raised"
FLAG_RESOLVED = "flag.resolved"


def _flag(flag: StoredFlag, flagger: dict[str, str] | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": flag.id,
        "message_id": flag.message_id,
        "reason": flag.reason,
        "created_at": flag.created_at.isoformat(),
        "state": flag.state,
        "note": flag.resolution,
        "resolved_at": None if flag.resolved_at is None else flag.resolved_at.isoformat(),
    }
    if flagger is not None:
        shown["flagged_by"] = flagger
    return shown


def _who(p: StoredPerson | None) -> dict[str, str] | None:
    return None if p is None else {"name": p.name, "display_name": p.display_name}


def _queued(entry: QueuedFlag) -> dict[str, Any]:

    return {
        **_flag(entry.flag),
        "flagged_by": _who(entry.flagger),
        "message": shown_message(entry.message, _who(entry.author))["message"],
    }


# -- flags ----------------------------------------------------------------------------------
@command(
    "flag",
    "Flag a message for the moderators, with a reason (once per member and message).",
    Action.FLAG,
    message_id=ID,
    reason=REASON,
)
async def flag(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.FLAG)
    ctx.throttle(user)
    flagger = person(user)
    with refusals():
        raised, event = await moderation_store(ctx).flag(
            ctx.room.id,
            fields["message_id"],
            user_id=user.id,
            reason=fields["reason"],
            now=ctx.now,
            event=FLAG_RAISED,
            describe=lambda f: {"audience": MODERATORS, "flag": _flag(f, flagger)},
        )
    ctx.publish(event)
    await audit(
        ctx,
        "message_flagged",
        user,
        flag_id=raised.id,
        message_id=raised.message_id,
        reason=raised.reason,
    )
    return {"flag_id": raised.id, "event_id": event.seq}


@command(
    "resolve_flag",
    "Close an open flag: `resolved` (acted on) or `dismissed`, with an optional note.",
    Action.MODERATE,
    optional=("note",),
    flag_id=ID,
    outcome={"enum": list(FLAG_OUTCOMES)},
    note=REASON,
)
async def resolve_flag(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.MODERATE)
    with refusals():
        closed, event = await moderation_store(ctx).resolve_flag(
            ctx.room.id,
            fields["flag_id"],
            outcome=fields["outcome"],
            note=fields.get("note"),
            actor_user_id=user.id,
            now=ctx.now,
            event=FLAG_RESOLVED,
            describe=lambda f: {"audience": MODERATORS, "flag": _flag(f)},
        )
    ctx.publish(event)
    await audit(
        ctx,
        "flag_resolved",
        user,
        flag_id=closed.id,
        message_id=closed.message_id,
        outcome=closed.state,
        note=closed.resolution,
    )
    return {"flag_id": closed.id, "state": closed.state, "event_id": event.seq}


@command(
    "flags",
    "The moderation queue: the room's open flags, oldest first, with their messages.",
    Action.MODERATE,
)
async def flags(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    ctx.require(Action.MODERATE)
    queue = await moderation_store(ctx).open_flags(ctx.room.id)
    return {"flags": [_queued(entry) for entry in queue]}
