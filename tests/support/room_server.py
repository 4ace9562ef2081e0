"""The server most room tests run against, and its people in a private room.

`strict` settings are the default deployment's: only documents created in a room exist. A test
module gets the fixtures `server` and `people` by importing `strict_room_server` and
`private_room_people` (pytest registers them under their `name`); a module that needs another
server or room defines its own `server` or `people` instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.settings import Settings
from tests.support.rooms import People, make_people, make_room, services_of
from tests.support.server import TEST_SECRET_KEY, RunningServer, serve_in_process


def strict(database_url: str, **changes: object) -> Settings:
    """The default: only documents created in a room exist for the socket."""
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY)
    return settings.with_overrides(**changes)


@pytest.fixture(name="server")
async def strict_room_server(database_url: str) -> AsyncIterator[RunningServer]:
    """A server in this event loop with `strict` settings, on SQLite and on PostgreSQL."""
    async with serve_in_process(strict(database_url)) as running:
        yield running


@pytest.fixture(name="people")
async def private_room_people(server: RunningServer) -> People:
    """Everyone of `make_people`, with their roles in the private room `room`."""
    people = await make_people(services_of(server))
    await make_room(services_of(server), people, "room", visibility="private")
    return people
