"""The authorization matrix over `/live/{room}`: every caller × room state × discussion
command, each cell an exact outcome (the live counterpart of test_document_access.py)."""

from __future__ import annotations

from typing import Any

import pytest

from client import LiveClient, LiveClientError
from tests.support.room_server import strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import CALLERS, People, make_people, make_room, services_of
from tests.support.server import RunningServer

OK, FORBIDDEN, ARCHIVED, LOCKED = "ok", "forbidden", "archived", "locked"
NO_TOKEN, NOT_FOUND = "closed 4401", "closed 4404"
COMMANDS = ("post", "react", "typing", "idle")
#                 anonymous  bad-token  outsider   owner     moderator  particip.  observer
EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    "public": {
        "post": (FORBIDDEN, NO_TOKEN, FORBIDDEN, OK, OK, OK, FORBIDDEN),
        "react": (FORBIDDEN, NO_TOKEN, FORBIDDEN, OK, OK, OK, FORBIDDEN),
        "typing": (FORBIDDEN, NO_TOKEN, FORBIDDEN, OK, OK, OK, FORBIDDEN),
        "idle": (FORBIDDEN, NO_TOKEN, OK, OK, OK, OK, OK),
    },
    "private": {
        "post": (NO_TOKEN, NO_TOKEN, NOT_FOUND, OK, OK, OK, FORBIDDEN),
        "react": (NO_TOKEN, NO_TOKEN, NOT_FOUND, OK, OK, OK, FORBIDDEN),
        "typing": (NO_TOKEN, NO_TOKEN, NOT_FOUND, OK, OK, OK, FORBIDDEN),
        "idle": (NO_TOKEN, NO_TOKEN, NOT_FOUND, OK, OK, OK, OK),
    },
    "archived": {
        "post": (FORBIDDEN, NO_TOKEN, FORBIDDEN, ARCHIVED, ARCHIVED, ARCHIVED, FORBIDDEN),
        "react": (FORBIDDEN, NO_TOKEN, FORBIDDEN, ARCHIVED, ARCHIVED, ARCHIVED, FORBIDDEN),
        "typing": (FORBIDDEN, NO_TOKEN, FORBIDDEN, ARCHIVED, ARCHIVED, ARCHIVED, FORBIDDEN),
        "idle": (FORBIDDEN, NO_TOKEN, OK, OK, OK, OK, OK),
    },
    "locked": {
        "post": (FORBIDDEN, NO_TOKEN, FORBIDDEN, OK, OK, LOCKED, FORBIDDEN),
        "react": (FORBIDDEN, NO_TOKEN, FORBIDDEN, OK, OK, LOCKED, FORBIDDEN),
        "typing": (FORBIDDEN, NO_TOKEN, FORBIDDEN, OK, OK, LOCKED, FORBIDDEN),
        "idle": (FORBIDDEN, NO_TOKEN, OK, OK, OK, OK, OK),
    },
}
assert CALLERS == (
    "anonymous",
    "bad-token",
    "outsider",
    "owner",
    "moderator",
    "participant",
    "observer",
)


async def set_up(server: RunningServer, state: str) -> tuple[People, int]:
    services = services_of(server)
    people = await make_people(services)
    visibility = "private" if state == "private" else "public"
    view = await make_room(services, people, "room", visibility=visibility)
    async with LiveClient(server.live, "room", token=people.token("owner")) as owner:
        message_id: int = (await owner.send("post", body="Дневен ред"))["message_id"]
        if state == "locked":  # the way a moderator locks it, so every node hears of it
            await owner.send("lock", locked=True)
    if state == "archived":
        await services.rooms.archive(view, None)
    return people, message_id


def fields_of(command: str, message_id: int, caller: str) -> dict[str, Any]:
    fields: dict[str, dict[str, Any]] = {
        "post": {"body": f"от {caller}"},
        "react": {"message_id": message_id, "emoji": "👍", "on": True},
        "typing": {"active": True},
        "idle": {"idle": True},
    }
    return fields[command]


async def outcome(
    server: RunningServer, people: People, caller: str, command: str, message_id: int
) -> str:
    live = LiveClient(server.live, "room", token=people.token(caller), reconnect=False)
    try:
        await live.connect()
    except LiveClientError as closed:
        return f"closed {closed.code}"
    try:
        await live.send(command, **fields_of(command, message_id, caller))
    except LiveClientError as refused:
        return str(refused.code)
    finally:
        await live.close()
    return OK


@pytest.mark.parametrize("state", list(EXPECTED))
async def test_live_matrix(server: RunningServer, state: str) -> None:
    people, message_id = await set_up(server, state)
    found = {
        command: tuple([await outcome(server, people, c, command, message_id) for c in CALLERS])
        for command in COMMANDS
    }
    assert found == EXPECTED[state]
