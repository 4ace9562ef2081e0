"""`ws://HOST:PORT/live/{room}?token=…[&since=N]`: the live-room WebSocket endpoint.

Admission mirrors the document socket (docs/access.md): a bad token closes with 4401, an
anonymous caller on a private room with 4401, a signed-in outsider of a private room with
4404 (as an unknown room), a refused Origin with 4403, a full room with 4429 after an
`error` event (`room_full`, or `too_many_connections` for one address's anonymous share:
server/live/seats.py). Then: `welcome`, the events after `since` (when given), live events.
What a connection is sent waits in its socket's transport buffer, bounded in bytes
(`VECHE_SEND_QUEUE_BYTES`, as for /yjs/): a reader that falls behind is closed with 4508 and
resumes from its last event id. The socket itself is server/live/wire.py's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from sqlalchemy.exc import SQLAlchemyError

from server.closecodes import CloseCode
from server.documents.admission import CLOSE_CODES, AdmissionRefused
from server.live.connection import LiveConnection, Viewer
from server.live.protocol import ErrorCode, LiveError
from server.live.room import LiveRoom, RoomLimits
from server.live.seats import NoSeat, Seat, SeatKind, SeatLimits
from server.live.service import error_event
from server.live.session import arm_timer, session_payload
from server.origins import origin_allowed
from server.policy import Role
from server.settings import Settings
from storage.accounts import StoredUser
from storage.errors import StorageError

if TYPE_CHECKING:
    from server.live.wire import LiveSocket
    from server.services import Services

log = logging.getLogger(__name__)

_REFUSALS = {
    NoSeat.ROOM_FULL: (ErrorCode.ROOM_FULL, "the room is full; try again later"),
    NoSeat.ADDRESS_FULL: (
        ErrorCode.TOO_MANY_CONNECTIONS,
        "too many anonymous connections from your address; sign in or close some",
    ),
}


async def live_session(services: Services, socket: LiveSocket) -> None:
    """The life of one live connection: admission, the welcome and replay, then its
    commands one after another until it closes (server/live/wire.py runs the socket)."""
    try:
        await _live_session(services, socket)
    except (StorageError, SQLAlchemyError, OSError):
        log.warning("live socket: the database failed", exc_info=True)
        socket.close(CloseCode.OVERLOADED, "storage unavailable, try again later")
    finally:
        socket.close(CloseCode.NORMAL, "bye")


async def _live_session(services: Services, socket: LiveSocket) -> None:
    settings = services.settings
    request = socket.request
    assert request is not None
    if not origin_allowed(request.origin, request.host, settings.allowed_origins):
        socket.close(CloseCode.FORBIDDEN, "origin not allowed")
        return
    try:
        principal = await services.admission.authenticate(request.token)
    except AdmissionRefused as refused:
        socket.close(CloseCode.UNAUTHENTICATED, refused.reason[:120])
        return
    user = None if principal is None else principal.user
    room = await services.admission.room_named(request.room)
    if room is None:
        socket.close(CloseCode.UNKNOWN_DOCUMENT, "no such room")
        return
    try:
        access = await services.admission.enter(principal, room)
    except AdmissionRefused as refused:
        socket.close(CLOSE_CODES[refused.refusal], refused.reason[:120])
        return
    since = _since(parse_qs(request.query).get("since", [None])[0])
    if isinstance(since, LiveError):
        socket.send(error_event(since))
        socket.close(CloseCode.BAD_REQUEST, since.detail)
        return
    role = await services.live.role_of_user(room.id, user)
    connection = LiveConnection(
        Viewer(user, moderator=False),
        socket,
        access,
        _seat(user, role, request.address),
        services.live,
    )
    connection.regrade(role)  # what the viewer may see (read again for the welcome)
    live_room = await services.live_rooms.open(room.id, connection, _limits(settings))
    if isinstance(live_room, NoSeat):
        code, detail = _REFUSALS[live_room]
        socket.send(error_event(LiveError(code, detail)))
        socket.close(CloseCode.TOO_MANY_CONNECTIONS, code.value)
        return
    try:
        await _serve(services, socket, live_room, connection, since)
    finally:
        await live_room.leave(connection)
        await services.live_rooms.close_if_empty(live_room)


async def _serve(
    services: Services,
    socket: LiveSocket,
    live_room: LiveRoom,
    connection: LiveConnection,
    since: int | None,
) -> None:
    last = await services.discussion.last_seq(live_room.room_id)
    if since is not None and since > last:
        since = last  # ahead of the room (a database restored from backup): replay nothing
    connection.send(await _welcome(services, live_room, connection, last))
    await live_room.join(connection, since)
    while True:
        text = await socket.receive()
        if text is None:
            return
        if isinstance(text, bytes):
            bad = LiveError(ErrorCode.INVALID_MESSAGE, "text frames only: one JSON object each")
            connection.send(error_event(bad))
            continue
        await services.live.handle(live_room, connection, text)


async def _welcome(
    services: Services, live_room: LiveRoom, connection: LiveConnection, last: int
) -> dict[str, Any]:
    room = await services.admission.room(live_room.room_id)
    assert room is not None
    user: StoredUser | None = connection.user
    role = await services.live.role_of(room.id, connection)
    sessions = services.live_sessions
    session = await sessions.state(room.id)
    # a room opened again (everyone had left, or a restart) sets the speaking timer again
    arm_timer(live_room, sessions, session, services.clock(), replace=False)
    return {
        "type": "welcome",
        "room": {
            "slug": room.slug,
            "title": room.title,
            "visibility": room.visibility,
            "archived": room.archived_at is not None,
            "locked": room.locked_at is not None,
            "slow_mode_seconds": room.slow_mode_seconds,
        },
        "you": None
        if user is None
        else {"name": user.name, "role": None if role is None else role.value},
        "last_event_id": last,
        "present": [
            {"name": p.name, "display_name": p.display_name, "idle": p.idle, "typing": p.typing}
            for p in await live_room.present()
        ],
        "session": session_payload(session),
    }


def _seat(user: StoredUser | None, role: Role | None, address: str | None) -> Seat:
    """The kind of place a connection takes in the room (server/live/seats.py)."""
    if user is None:
        return Seat(SeatKind.ANONYMOUS, address)
    if role in (Role.OWNER, Role.MODERATOR):
        return Seat(SeatKind.RUNS_ROOM)
    return Seat(SeatKind.GUEST if role is None else SeatKind.MEMBER)


def _limits(settings: Settings) -> RoomLimits:
    seats = SeatLimits(
        total=settings.max_room_connections,
        guests=settings.max_room_guests,
        per_address=settings.live_anonymous_per_address,
    )
    return RoomLimits(seats, settings.live_presence_rate, settings.live_leave_grace)


def _since(raw: str | None) -> int | LiveError | None:
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        return LiveError(ErrorCode.INVALID_MESSAGE, "since: a non-negative event id")
    return int(raw)
