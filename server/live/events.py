"""The numbered events of a live room as each viewer sees them.

Stored payloads are complete; what a viewer receives depends on who they are and on what
happened to a message since: a deleted message's text is gone for everyone, a hidden one is
replaced for all but moderators (docs/protocol.md, "Events"; the rule is
server/live/visibility.py's). An event whose payload has
``"audience": "moderators"`` (flags) reaches others only as a `withheld` stub with its number
and time, live and in replays alike, so every viewer still sees the numbers without gaps.
"""

from __future__ import annotations

from typing import Any

from server.live.connection import Viewer
from server.live.visibility import visible_body
from storage.accounts import StoredUser
from storage.discussion import StoredMessage
from storage.room_events import StoredEvent

MESSAGE_POSTED = "message.posted"
MESSAGE_EDITED = "message.edited"
MESSAGE_DELETED = "message.deleted"
REACTIONS_CHANGED = "message.reactions"
WITHHELD = "withheld"  # what non-moderators get of a moderators-only event
MODERATORS = "moderators"  # the payload's "audience" that makes an event moderators-only


def person(user: StoredUser | None) -> dict[str, str] | None:
    return None if user is None else {"name": user.name, "display_name": user.display_name}


def message_payload(message: StoredMessage, author: dict[str, str] | None) -> dict[str, Any]:
    """What an event says of a message (its state after the change)."""
    return {
        "message": {
            "id": message.id,
            "parent_id": message.parent_id,
            "author": author,
            # stored as moderators see it; `present` applies the rule for each viewer
            "body": visible_body(
                message.body,
                deleted=message.deleted_at is not None,
                hidden=message.hidden_at is not None,
                moderator=True,
            ),
            "created_at": message.created_at.isoformat(),
            "edited_at": None if message.edited_at is None else message.edited_at.isoformat(),
            "deleted": message.deleted_at is not None,
            "hidden": None,
        }
    }


def present(event: StoredEvent, viewer: Viewer) -> dict[str, Any]:
    """The event as ``viewer`` receives it."""
    if event.payload.get("audience") == MODERATORS and not viewer.moderator:
        return {"type": WITHHELD, "id": event.seq, "at": event.created_at.isoformat()}
    shown: dict[str, Any] = {
        "type": event.type,
        "id": event.seq,
        "at": event.created_at.isoformat(),
        **event.payload,
    }
    message = shown.get("message")
    if isinstance(message, dict) and message.get("body") is not None:
        body = visible_body(
            message["body"],
            deleted=bool(message.get("deleted")),
            hidden=bool(message.get("hidden")),
            moderator=viewer.moderator,
        )
        if body is None:
            shown["message"] = {**message, "body": None}
    return shown


def redact(event: StoredEvent, states: dict[int, StoredMessage]) -> StoredEvent:
    """An older event brought up to date with its message's state now (for replays): deleted
    or hidden since; `present` then shows its text to each viewer by the one rule."""
    message = event.payload.get("message")
    if not isinstance(message, dict):
        return event
    current = states.get(message.get("id", 0))
    if current is None:
        return event
    changed = dict(message)
    if current.deleted_at is not None:
        changed["deleted"] = True
    if current.hidden_at is not None and not changed.get("hidden"):
        changed["hidden"] = {"reason": current.hidden_reason}
    if changed == message:
        return event
    payload = {**event.payload, "message": changed}
    return StoredEvent(
        event.room_id, event.seq, event.type, event.actor_user_id, payload, event.created_at
    )
