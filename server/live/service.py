"""Carries out one client frame: parse, load the room and the caller's role, check, handle."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from server.documents.admission import Admission
from server.live import discussion as _discussion  # noqa: F401  (registers its commands)
from server.live import flags as _flags  # noqa: F401  (registers its commands)
from server.live import moderation as _moderation  # noqa: F401  (registers its commands)
from server.live import session as _session  # noqa: F401  (registers its commands)
from server.live.commands import REGISTRY, Context, LiveServices
from server.live.connection import LiveConnection
from server.live.events import redact
from server.live.protocol import ErrorCode, LiveError, parse
from server.live.room import LiveRoom
from server.policy import Role
from storage.access import AccessStore
from storage.accounts import StoredUser
from storage.discussion import DiscussionStore
from storage.errors import StorageError
from storage.room_events import StoredEvent

log = logging.getLogger(__name__)

# Presence signals: checked against the room as read within ROOM_RECHECK seconds and the role
# as last read (kept current by the access review), so that a flood of them costs no
# database work per frame; the pacing (server/live/pacing.py) then drops the excess.
EPHEMERAL = frozenset({"typing", "idle"})


def error_event(exc: LiveError, ref: str | None = None) -> dict[str, Any]:
    ref = exc.extra.get("ref", ref)
    extra = {k: v for k, v in exc.extra.items() if k != "ref"}
    return {"type": "error", "code": exc.code.value, "message": exc.detail, "ref": ref, **extra}


async def redact_replay(
    store: DiscussionStore, room_id: int, events: list[StoredEvent]
) -> list[StoredEvent]:
    """Replayed events as of now: the text of messages deleted or hidden since is not shown."""
    ids = {
        message["id"]
        for event in events
        if isinstance(message := event.payload.get("message"), dict) and "id" in message
    }
    states = await store.changed_messages(room_id, ids)  # the others need no change
    return [redact(event, states) for event in events]


class LiveDispatcher:
    def __init__(
        self, services: LiveServices, rooms: Admission, access: AccessStore, max_frame: int
    ) -> None:
        # ``rooms`` answers the reads of every command (the room, the caller's role) from its
        # short memory; ``access`` reads afresh for the access review
        self.services, self._rooms, self._access, self._max_frame = (
            services,
            rooms,
            access,
            max_frame,
        )
        self._validators = {name: spec.validator for name, spec in REGISTRY.items()}

    async def role_of_user(self, room_id: int, user: StoredUser | None) -> Role | None:
        if user is None:
            return None
        value = await self._rooms.role(room_id, user.id)
        return None if value is None else Role(value)

    async def role_of(self, room_id: int, connection: LiveConnection) -> Role | None:
        """The caller's role now (roles change while connected); also who sees hidden text."""
        role = await self.role_of_user(room_id, connection.user)
        connection.regrade(role)
        return role

    async def review_roles(self, connections: list[LiveConnection]) -> None:
        """Re-read the roles of open connections in one query and apply them at once, so a
        demoted moderator stops receiving moderators-only events (the access review calls
        this: at once on this node after a change, periodically for the others)."""
        signed_in = [
            (c, c.access.room_id, c.user.id)
            for c in connections
            if c.user is not None and c.access is not None and c.access.room_id is not None
        ]
        roles = await self._access.roles({(room, user) for _, room, user in signed_in})
        for connection, room, user in signed_in:
            value = roles.get((room, user))
            connection.regrade(None if value is None else Role(value))

    async def handle(self, live_room: LiveRoom, connection: LiveConnection, frame: str) -> None:
        ref: str | None = None
        try:
            command = parse(frame, self._max_frame, self._validators)
            ref = command.ref
            spec = REGISTRY[command.type]
            ephemeral = command.type in EPHEMERAL
            room = live_room.recent_room() if ephemeral else None
            if room is None:
                room = await self._rooms.room(live_room.room_id)
                if room is None:
                    raise LiveError(ErrorCode.NOT_FOUND, "the room is gone")
                live_room.room_read(room)
            known, role = connection.last_role() if ephemeral else (False, None)
            if not known:
                role = await self.role_of(room.id, connection)
            ctx = Context(self.services, room, role, connection, live_room)
            if spec.action is not None:
                ctx.check(spec.action)
            result = await spec.handler(ctx, command.fields)
        except LiveError as exc:
            connection.send(error_event(exc, ref))
            return
        except (StorageError, SQLAlchemyError, OSError):
            log.warning("live command failed on the database", exc_info=True)
            connection.send(
                error_event(LiveError(ErrorCode.UNAVAILABLE, "try again in a moment"), ref)
            )
            return
        if ref is not None or result is not None:
            connection.send({"type": "ack", "ref": ref, **(result or {})})
