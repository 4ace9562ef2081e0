"""`ws://HOST:PORT/live/{room}?token=…[&since=N]`: the live-room WebSocket endpoint.

Admission mirrors the document socket (docs/access.md): a bad token closes with 4401, an
anonymous caller on a private room with 4401, a signed-in outsider of a private room with
4404 (as an unknown room), a refused Origin with 4403, a full room with 4429 after an
`error` event (`room_full`, or `too_many_connections` for one address's anonymous share:
server/live/seats.py). Then: `welcome`, the events after `since` (when given), live events.
Every connection has a send queue bounded in messages and in bytes, written by its own task;
a reader that falls behind is closed with 4508 and resumes from its last event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.closecodes import CloseCode
from server.documents.admission import CLOSE_CODES, AdmissionRefused
from server.live.connection import LiveConnection, Viewer, encode
from server.live.protocol import ErrorCode, LiveError
from server.live.room import LiveRoom, RoomLimits
from server.live.seats import NoSeat, Seat, SeatKind, SeatLimits
from server.live.service import error_event
from server.live.session import arm_timer, session_payload
from server.origins import origin_allowed, upgrade_token
from server.policy import Role
from server.settings import Settings
from storage.accounts import StoredUser
from storage.errors import StorageError

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger(__name__)

SEND_QUEUE = 1000  # messages queued for one connection before it counts as too slow
_REFUSALS = {
    NoSeat.ROOM_FULL: (ErrorCode.ROOM_FULL, "the room is full; try again later"),
    NoSeat.ADDRESS_FULL: (
        ErrorCode.TOO_MANY_CONNECTIONS,
        "too many anonymous connections from your address; sign in or close some",
    ),
}


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


class SocketOutlet:
    """Queues messages for one WebSocket; its writer task sends them in order.

    Bounded in count and in bytes (``max_bytes``, `VECHE_SEND_QUEUE_BYTES` as for /yjs/):
    a thousand 10,000-character messages would otherwise hold ~40 MB for one slow reader."""

    def __init__(
        self, websocket: WebSocket, limit: int = SEND_QUEUE, max_bytes: int = 4 * 1024 * 1024
    ) -> None:
        self._websocket = websocket
        self._queue: asyncio.Queue[str | tuple[CloseCode, str]] = asyncio.Queue(limit + 1)
        self._limit, self._max_bytes = limit, max_bytes
        self._bytes = 0  # queued and not yet written
        self._closing = False

    def send(self, message: dict[str, Any]) -> bool:
        return self.send_text(encode(message))

    def send_text(self, text: str) -> bool:
        if self._closing:
            return True
        size = _utf8_size(text)
        if self._queue.qsize() >= self._limit or self._bytes + size > self._max_bytes:
            return False
        self._bytes += size
        self._queue.put_nowait(text)
        return True

    def close(self, code: CloseCode, reason: str) -> None:
        if not self._closing:
            self._closing = True
            self._queue.put_nowait((code, reason))  # the one slot kept free for it

    async def run(self) -> None:
        while True:
            item = await self._queue.get()
            if isinstance(item, tuple):
                code, reason = item
                if self._websocket.application_state is WebSocketState.CONNECTED:
                    await self._websocket.close(code, reason[:120])
                return
            await self._websocket.send_text(item)
            self._bytes -= _utf8_size(item)


async def live_socket(websocket: WebSocket) -> None:
    try:
        await _live_socket(websocket)
    except (StorageError, SQLAlchemyError, OSError):
        log.warning("live socket: the database failed", exc_info=True)
        if websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(CloseCode.OVERLOADED, "storage unavailable, try again later")


async def _live_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    settings = services.settings
    await websocket.accept()
    headers = websocket.headers
    if not origin_allowed(headers.get("origin"), headers.get("host"), settings.allowed_origins):
        await websocket.close(CloseCode.FORBIDDEN, "origin not allowed")
        return
    try:
        principal = await services.admission.authenticate(
            upgrade_token(websocket.url.query, headers)
        )
    except AdmissionRefused as refused:
        await websocket.close(CloseCode.UNAUTHENTICATED, refused.reason[:120])
        return
    user = None if principal is None else principal.user
    room = await services.admission.room_named(websocket.path_params["room"])
    if room is None:
        await websocket.close(CloseCode.UNKNOWN_DOCUMENT, "no such room")
        return
    try:
        access = await services.admission.enter(principal, room)
    except AdmissionRefused as refused:
        await websocket.close(CLOSE_CODES[refused.refusal], refused.reason[:120])
        return
    since = _since(websocket.query_params.get("since"))
    if isinstance(since, LiveError):
        await websocket.send_json(error_event(since))
        await websocket.close(CloseCode.BAD_REQUEST, since.detail)
        return
    role = await services.live.role_of_user(room.id, user)
    address = None if websocket.client is None else websocket.client.host
    outlet = SocketOutlet(websocket, max_bytes=settings.send_queue_bytes)
    writer = asyncio.create_task(outlet.run())
    connection = LiveConnection(
        Viewer(user, moderator=False), outlet, access, _seat(user, role, address), services.live
    )
    connection.regrade(role)  # what the viewer may see (read again for the welcome)
    try:
        live_room = await services.live_rooms.open(room.id, connection, _limits(settings))
        if isinstance(live_room, NoSeat):
            code, detail = _REFUSALS[live_room]
            outlet.send(error_event(LiveError(code, detail)))
            outlet.close(CloseCode.TOO_MANY_CONNECTIONS, code.value)
            return
        try:
            await _serve(services, websocket, live_room, connection, since)
        finally:
            await live_room.leave(connection)
            await services.live_rooms.close_if_empty(live_room)
    finally:
        outlet.close(CloseCode.NORMAL, "bye")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, 5)
        writer.cancel()


async def _serve(
    services: Services,
    websocket: WebSocket,
    live_room: LiveRoom,
    connection: LiveConnection,
    since: int | None,
) -> None:
    last = await services.discussion.last_seq(live_room.room_id)
    if since is not None and since > last:
        since = last  # ahead of the room (a database restored from backup): replay nothing
    connection.send(await _welcome(services, live_room, connection, last))
    await live_room.join(connection, since)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                bad = LiveError(ErrorCode.INVALID_MESSAGE, "text frames only: one JSON object each")
                connection.send(error_event(bad))
                continue
            await services.live.handle(live_room, connection, text)
    except WebSocketDisconnect:
        return


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
