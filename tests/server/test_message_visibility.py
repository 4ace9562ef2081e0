"""One rule for who sees a hidden message's text (server/live/visibility.py): the REST
history, REST search, REST revisions, live events and replays all show the same message the
same way to a moderator, to its author and to another participant."""

from __future__ import annotations

import httpx
import pytest

from client import LiveClient
from tests.support.room_server import strict_room_server  # noqa: F401  (fixture)
from tests.support.rooms import People, add_participants, make_people, make_room, services_of
from tests.support.server import RunningServer

TEXT = "Бюджетът остава тайна"
VIEWERS = ("moderator", "participant", "second")  # participant is the author


@pytest.fixture
async def people(server: RunningServer) -> People:
    services = services_of(server)
    people = await make_people(services)
    view = await make_room(services, people, "room", visibility="private")
    await add_participants(services, view, people, ("second",))
    return people


def live(
    server: RunningServer, people: People, caller: str, since: int | None = None
) -> LiveClient:
    return LiveClient(server.live, "room", token=people.token(caller), since=since)


def bearer(people: People, caller: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people.token(caller)}"}


async def test_a_hidden_message_is_shown_alike_over_rest_search_and_the_socket(
    server: RunningServer, people: People
) -> None:
    seen: dict[str, dict[str, object]] = {viewer: {} for viewer in VIEWERS}
    async with (
        live(server, people, "moderator") as moderator,
        live(server, people, "participant") as author,
        live(server, people, "second") as other,
    ):
        posted = await author.send("post", body="Бюджетът е тайна")
        message_id = posted["message_id"]
        await author.send("edit", message_id=message_id, body=TEXT)
        await moderator.send("hide", message_id=message_id, reason="лични данни")
        for viewer, client in (
            ("moderator", moderator),
            ("participant", author),
            ("second", other),
        ):
            event = await client.next_event("message.hidden")
            assert event["message"]["hidden"] == {"reason": "лични данни"}
            seen[viewer]["live"] = event["message"]["body"]

    for viewer in VIEWERS:
        async with live(server, people, viewer, since=0) as late:
            replayed = await late.next_event("message.edited")  # brought up to date
            assert replayed["message"]["hidden"] == {"reason": "лични данни"}
            seen[viewer]["replay"] = replayed["message"]["body"]

    async with httpx.AsyncClient(base_url=server.http) as http:
        for viewer in VIEWERS:
            headers = bearer(people, viewer)
            page = (await http.get("/api/v1/rooms/room/messages", headers=headers)).json()
            [listed] = page["messages"]
            assert listed["hidden"] == {"reason": "лични данни"}
            seen[viewer]["list"] = listed["body"]
            found = await http.get(
                "/api/v1/rooms/room/messages/search", params={"q": "бюджет"}, headers=headers
            )
            assert found.status_code == 200, found.text
            # a text one may not see is not found either
            bodies = [m["body"] for m in found.json()["messages"] if m["id"] == message_id]
            seen[viewer]["search"] = bodies[0] if bodies else None
            url = f"/api/v1/rooms/room/messages/{message_id}/revisions"
            revisions = (await http.get(url, headers=headers)).json()["revisions"]
            seen[viewer]["revisions"] = revisions[0]["body"] if revisions else None

    assert seen == {
        "moderator": dict.fromkeys(("live", "replay", "list", "search"), TEXT)
        | {"revisions": "Бюджетът е тайна"},
        "participant": dict.fromkeys(("live", "replay", "list", "search", "revisions")),
        "second": dict.fromkeys(("live", "replay", "list", "search", "revisions")),
    }
