"""Live session commands: the agenda and its current item, the speaking queue, the floor.

Moderators and owners run the session (`run_session`): the agenda, the current item, who has
the floor. Participants and up raise and lower their own hand (`raise_hand`). Every change is
a numbered event carrying its part of the session whole (docs/live-session.md):
`agenda.changed`, `queue.changed`, `floor.changed`; the `welcome` carries all of it.

The speaking timer cuts nobody off: `floor.changed` says when the time ends (`ends_at`), so
every client counts down to the same moment, and when it is over the room is told once with
an ephemeral `floor.time_up` (not numbered, not stored: the session did not change). The
timer lives in the LiveRoom; a room opened again (after everyone left, or a restart) arms it
again from the floor stored in SQL when its first connection is welcomed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from server.live.commands import Context, command
from server.live.protocol import ID, MAX_INTEGER, USER, ErrorCode, LiveError
from server.live.room import LiveRoom
from server.policy import Action
from storage.live_session import MAX_TITLE_CHARS, LiveSessionStore
from storage.live_session_state import (
    AgendaFull,
    AgendaItemMissing,
    Change,
    Floor,
    NotAMember,
    Part,
    SessionState,
)
from storage.room_events import StoredEvent

AGENDA_CHANGED = "agenda.changed"
QUEUE_CHANGED = "queue.changed"
FLOOR_CHANGED = "floor.changed"
FLOOR_TIME_UP = "floor.time_up"  # ephemeral
_TIMER = "floor"  # the key of the speaking timer in the LiveRoom

POSITION = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_INTEGER,
    "description": "the place in the agenda, 0 first; past the end means last",
}
SECONDS = {"type": "integer", "minimum": 1, "maximum": 3600, "description": "a speaking time"}
_TITLE = {"type": "string", "description": f"at most {MAX_TITLE_CHARS} characters"}

_EVENT_OF = {Part.AGENDA: AGENDA_CHANGED, Part.QUEUE: QUEUE_CHANGED, Part.FLOOR: FLOOR_CHANGED}


# -- what clients see -------------------------------------------------------------------------
def floor_payload(floor: Floor | None) -> dict[str, Any] | None:
    if floor is None:
        return None
    ends_at = floor.ends_at
    return {
        "user": floor.name,
        "display_name": floor.display_name,
        "since": floor.since.isoformat(),
        "seconds": floor.seconds,
        "ends_at": None if ends_at is None else ends_at.isoformat(),
    }


def agenda_payload(state: SessionState) -> dict[str, Any]:
    return {
        "agenda": [
            {"id": item.id, "position": item.position, "title": item.title} for item in state.agenda
        ],
        "current_item_id": state.current_item_id,
    }


def queue_payload(state: SessionState) -> list[str]:
    return [hand.name for hand in state.queue]


def session_payload(state: SessionState) -> dict[str, Any]:
    """The whole session, as the `welcome` shows it."""
    return {
        **agenda_payload(state),
        "queue": queue_payload(state),
        "floor": floor_payload(state.floor),
    }


def describe(part: Part, state: SessionState) -> tuple[str, dict[str, Any]]:
    """The numbered event announcing ``part`` after a change (see LiveSessionStore)."""
    if part is Part.AGENDA:
        payload = agenda_payload(state)
    elif part is Part.QUEUE:
        payload = {"queue": queue_payload(state)}
    else:
        payload = {"floor": floor_payload(state.floor)}
    return _EVENT_OF[part], payload


# -- the speaking timer -----------------------------------------------------------------------
def arm_timer(
    live_room: LiveRoom,
    store: LiveSessionStore,
    state: SessionState,
    now: datetime,
    *,
    replace: bool = True,
) -> None:
    """Announce the end of the floor's time in this room, once; no time (or none left): no
    announcement. ``replace`` False keeps a timer already set (a newer command set it)."""
    floor = state.floor
    ends_at = None if floor is None else floor.ends_at
    if floor is None or ends_at is None or ends_at <= now:
        if replace:
            live_room.cancel_later(_TIMER)
        return
    delay = (ends_at - now).total_seconds()
    live_room.later(_TIMER, delay, lambda: _time_up(live_room, store, floor), replace=replace)


async def _time_up(live_room: LiveRoom, store: LiveSessionStore, floor: Floor) -> None:
    now = (await store.state(live_room.room_id)).floor
    if now is not None and (now.user_id, now.since, now.seconds) == (
        floor.user_id,
        floor.since,
        floor.seconds,
    ):
        # every node that serves the room runs its own timer (`timer_keeper`): each tells
        # its own connections
        live_room.hear({"type": FLOOR_TIME_UP, "floor": floor_payload(floor)})


def timer_keeper(
    store: LiveSessionStore, clock: Callable[[], datetime]
) -> Callable[[LiveRoom, StoredEvent], None]:
    """Set the speaking timer on every node that delivers a `floor.changed` event, whichever
    node gave the floor: the end of the time is announced to everyone even if that node has
    died meanwhile."""

    def watch(live_room: LiveRoom, event: StoredEvent) -> None:
        if event.type != FLOOR_CHANGED:
            return

        async def arm() -> None:
            arm_timer(live_room, store, await store.state(live_room.room_id), clock())

        live_room.spawn(arm())

    return watch


# -- commands ---------------------------------------------------------------------------------
def _store(ctx: Context) -> LiveSessionStore:
    return ctx.services.session


def _published(ctx: Context, change: Change, **ack: Any) -> dict[str, Any]:
    for event in change.events:
        ctx.publish(event)
    return {**ack, "event_id": change.last_event_id}


def _floor_changed(ctx: Context, change: Change) -> dict[str, Any]:
    # the timer is set when the event is delivered, on every node (`timer_keeper`)
    return _published(ctx, change, floor=floor_payload(change.state.floor))


def _title(raw: str) -> str:
    title = raw.strip()
    if not title:
        raise LiveError(ErrorCode.INVALID_MESSAGE, "title: must not be empty")
    if len(title) > MAX_TITLE_CHARS:
        raise LiveError(ErrorCode.TOO_LARGE, f"title: at most {MAX_TITLE_CHARS} characters")
    return title


def _missing(exc: AgendaItemMissing) -> LiveError:
    return LiveError(ErrorCode.NOT_FOUND, str(exc))


async def _member_id(ctx: Context, name: str) -> int:
    user = await ctx.services.accounts.find_user(name)
    if user is None:
        raise LiveError(ErrorCode.NOT_FOUND, f"no user {name!r}")
    return user.id


@command(
    "agenda_add",
    "Add an agenda item at the end, or at `position` (the items from there move down).",
    Action.RUN_SESSION,
    optional=("position",),
    title=_TITLE,
    position=POSITION,
)
async def agenda_add(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.RUN_SESSION)
    title = _title(fields["title"])
    try:
        item_id, change = await _store(ctx).add_item(
            ctx.room.id, title, fields.get("position"), actor_user_id=user.id, now=ctx.now
        )
    except AgendaFull as exc:
        raise LiveError(ErrorCode.TOO_LARGE, str(exc)) from None
    return _published(ctx, change, item_id=item_id)


@command(
    "agenda_move",
    "Move an agenda item to `position` (0 first; past the end: last).",
    Action.RUN_SESSION,
    item_id=ID,
    position=POSITION,
)
async def agenda_move(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.RUN_SESSION)
    try:
        change = await _store(ctx).move_item(
            ctx.room.id, fields["item_id"], fields["position"], actor_user_id=user.id, now=ctx.now
        )
    except AgendaItemMissing as exc:
        raise _missing(exc) from None
    return _published(ctx, change)


@command(
    "agenda_remove",
    "Remove an agenda item; if it was the current one, no item is current.",
    Action.RUN_SESSION,
    item_id=ID,
)
async def agenda_remove(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.RUN_SESSION)
    try:
        change = await _store(ctx).remove_item(
            ctx.room.id, fields["item_id"], actor_user_id=user.id, now=ctx.now
        )
    except AgendaItemMissing as exc:
        raise _missing(exc) from None
    return _published(ctx, change)


@command(
    "agenda_current",
    "Make an agenda item the current one (`item_id`: null for none).",
    Action.RUN_SESSION,
    item_id={"type": ["integer", "null"], "minimum": 1, "maximum": MAX_INTEGER},
)
async def agenda_current(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.RUN_SESSION)
    try:
        change = await _store(ctx).set_current(
            ctx.room.id, fields["item_id"], actor_user_id=user.id, now=ctx.now
        )
    except AgendaItemMissing as exc:
        raise _missing(exc) from None
    return _published(ctx, change)


@command(
    "raise_hand",
    "Ask for the floor: join the end of the speaking queue (again: keep one's place).",
    Action.RAISE_HAND,
)
async def raise_hand(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    user = ctx.require(Action.RAISE_HAND)
    ctx.throttle(user)
    change = await _store(ctx).raise_hand(ctx.room.id, user.id, now=ctx.now)
    return _published(ctx, change, queue=queue_payload(change.state))


@command(
    "lower_hand",
    "Lower one's hand (needs `raise_hand`), or someone else's: `user` (needs `run_session`).",
    None,
    optional=("user",),
    user=USER,
)
async def lower_hand(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    caller = ctx.user
    name = fields.get("user")
    if name is None or (caller is not None and name == caller.name):
        user = ctx.require(Action.RAISE_HAND)
        ctx.throttle(user)
        target_id = user.id
    else:
        user = ctx.require(Action.RUN_SESSION)
        target_id = await _member_id(ctx, name)
    change = await _store(ctx).lower_hand(
        ctx.room.id, target_id, actor_user_id=user.id, now=ctx.now
    )
    return _published(ctx, change, queue=queue_payload(change.state))


@command(
    "give_floor",
    "Give the floor to a member, for `seconds` when given (their raised hand is lowered).",
    Action.RUN_SESSION,
    optional=("seconds",),
    user=USER,
    seconds=SECONDS,
)
async def give_floor(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    moderator = ctx.require(Action.RUN_SESSION)
    target_id = await _member_id(ctx, fields["user"])
    try:
        change = await _store(ctx).give_floor(
            ctx.room.id,
            target_id,
            fields.get("seconds"),
            actor_user_id=moderator.id,
            now=ctx.now,
        )
    except NotAMember:
        raise LiveError(
            ErrorCode.NOT_FOUND, f"{fields['user']!r} is not a member of this room"
        ) from None
    return _floor_changed(ctx, change)


@command("end_floor", "Nobody has the floor.", Action.RUN_SESSION)
async def end_floor(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    moderator = ctx.require(Action.RUN_SESSION)
    change = await _store(ctx).end_floor(ctx.room.id, actor_user_id=moderator.id, now=ctx.now)
    return _floor_changed(ctx, change)


@command(
    "next_speaker",
    "Give the floor to the first in the queue (for `seconds` when given); nobody if empty.",
    Action.RUN_SESSION,
    optional=("seconds",),
    seconds=SECONDS,
)
async def next_speaker(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    moderator = ctx.require(Action.RUN_SESSION)
    change = await _store(ctx).next_speaker(
        ctx.room.id, fields.get("seconds"), actor_user_id=moderator.id, now=ctx.now
    )
    return _floor_changed(ctx, change)
