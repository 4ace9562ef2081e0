"""A room's discussion over REST: history pages, revisions, search — on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from client import LiveClient
from storage.live_models import MessageRecord
from storage.models import utc_now
from tests.support.room_server import private_room_people, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People, services_of
from tests.support.server import RunningServer


def headers(people: People, caller: str) -> dict[str, str]:
    token = people.token(caller)
    return {} if token is None else {"Authorization": f"Bearer {token}"}


async def post_all(server: RunningServer, people: People, *bodies: str) -> list[int]:
    async with LiveClient(server.live, "room", token=people.token("participant")) as live:
        return [(await live.send("post", body=body))["message_id"] for body in bodies]


async def test_history_pages_newest_first_with_authors_and_reactions(
    server: RunningServer, people: People
) -> None:
    ids = await post_all(server, people, *(f"Съобщение {i}" for i in range(5)))
    async with LiveClient(server.live, "room", token=people.token("moderator")) as live:
        await live.send("react", message_id=ids[0], emoji="👍", on=True)
    async with httpx.AsyncClient(base_url=server.http) as http:
        first = (
            await http.get(
                "/api/v1/rooms/room/messages",
                params={"limit": 3},
                headers=headers(people, "observer"),
            )
        ).json()
        assert [m["id"] for m in first["messages"]] == ids[:1:-1]
        assert first["messages"][0]["author"] == {
            "name": "participant",
            "display_name": "Participant",
        }
        second = (
            await http.get(
                "/api/v1/rooms/room/messages",
                params={"limit": 3, "before": first["next_before"]},
                headers=headers(people, "observer"),
            )
        ).json()
        assert [m["id"] for m in second["messages"]] == ids[1::-1]
        assert second["next_before"] is None
        assert second["messages"][-1]["reactions"] == {"👍": 1}
        for caller, status in (("anonymous", 404), ("outsider", 404), ("bad-token", 401)):
            response = await http.get(
                "/api/v1/rooms/room/messages", headers=headers(people, caller)
            )
            assert response.status_code == status, caller
        bad = await http.get(
            "/api/v1/rooms/room/messages", params={"limit": 0}, headers=headers(people, "owner")
        )
        assert bad.status_code == 422


async def test_revisions_keep_what_was_edited_and_hidden_text_stays_with_moderators(
    server: RunningServer, people: People
) -> None:
    async with LiveClient(server.live, "room", token=people.token("participant")) as live:
        message_id = (await live.send("post", body="Първа версия"))["message_id"]
        await live.send("edit", message_id=message_id, body="Втора версия")
        await live.send("edit", message_id=message_id, body="Трета версия")
    async with httpx.AsyncClient(base_url=server.http) as http:
        url = f"/api/v1/rooms/room/messages/{message_id}/revisions"
        revisions = (await http.get(url, headers=headers(people, "observer"))).json()
        assert [r["body"] for r in revisions["revisions"]] == ["Първа версия", "Втора версия"]
        missing = await http.get(
            "/api/v1/rooms/room/messages/999999/revisions", headers=headers(people, "owner")
        )
        assert missing.status_code == 404

        database = services_of(server).database
        async with database.sessionmaker() as session, session.begin():
            await session.execute(
                update(MessageRecord)
                .where(MessageRecord.id == message_id)
                .values(hidden_at=utc_now(), hidden_reason="лични данни")
            )
        for caller, body, count in (("observer", None, 0), ("moderator", "Трета версия", 2)):
            page = (
                await http.get("/api/v1/rooms/room/messages", headers=headers(people, caller))
            ).json()
            [shown] = page["messages"]
            assert shown["body"] == body, caller
            assert shown["hidden"] == {"reason": "лични данни"}
            revisions = (await http.get(url, headers=headers(people, caller))).json()
            assert len(revisions["revisions"]) == count, caller
            found = await http.get(
                "/api/v1/rooms/room/messages/search",
                params={"q": "трета"},
                headers=headers(people, caller),
            )
            assert len(found.json()["messages"]) == (1 if body else 0), caller


async def test_search_finds_bulgarian_words_by_prefix_in_any_case(
    server: RunningServer, people: People
) -> None:
    ids = await post_all(
        server,
        people,
        "Общинският съвет прие бюджета",
        "Кметът на ОБЩИНАТА отговори",
        "Sofia Municipal Council",
        "Нищо общо",
    )
    async with httpx.AsyncClient(base_url=server.http) as http:

        async def found(query: str) -> list[int]:
            response = await http.get(
                "/api/v1/rooms/room/messages/search",
                params={"q": query},
                headers=headers(people, "observer"),
            )
            assert response.status_code == 200, response.text
            return [m["id"] for m in response.json()["messages"]]

        assert await found("общински") == [ids[0]]
        assert await found("ОБЩИН") == [ids[1], ids[0]]
        assert await found("община") == [ids[1]]
        assert await found("общински съвет") == [ids[0]]
        assert await found("sofia council") == [ids[2]]
        assert await found("съвет бюджет кмет") == []
        for blank in ("", "   "):
            response = await http.get(
                "/api/v1/rooms/room/messages/search",
                params={"q": blank},
                headers=headers(people, "observer"),
            )
            assert response.status_code == 422
        outsider = await http.get(
            "/api/v1/rooms/room/messages/search",
            params={"q": "общински"},
            headers=headers(people, "outsider"),
        )
        assert outsider.status_code == 404
