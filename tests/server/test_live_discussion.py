"""Live rooms over real WebSockets: discussion, presence, resume, bad input."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from client import LiveClient, LiveClientError
from server.closecodes import CloseCode
from tests.support.room_server import private_room_people, strict, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process


def client(server: RunningServer, people: People, caller: str, **options: object) -> LiveClient:
    return LiveClient(server.live, "room", token=people.token(caller), **options)  # type: ignore[arg-type]


async def test_a_discussion_with_threads_reactions_edits_and_deletion(
    server: RunningServer, people: People
) -> None:
    async with (
        client(server, people, "moderator") as moderator,
        client(server, people, "participant") as participant,
        client(server, people, "observer") as observer,
    ):
        assert moderator.welcome is not None
        assert moderator.welcome["you"] == {"name": "moderator", "role": "moderator"}
        assert moderator.welcome["room"]["slug"] == "room"
        opening = await moderator.send("post", body="Откриваме **заседанието**")
        message_id = opening["message_id"]
        for watcher in (participant, observer, moderator):
            posted = await watcher.next_event("message.posted")
            assert posted["message"]["body"] == "Откриваме **заседанието**"
            assert posted["message"]["author"] == {"name": "moderator", "display_name": "Moderator"}
            assert posted["id"] == opening["event_id"]

        reply = await participant.send("post", body="Предлагам точка 2", parent_id=message_id)
        threaded = await observer.next_event("message.posted")
        assert threaded["message"]["parent_id"] == message_id

        await participant.send("react", message_id=message_id, emoji="👍", on=True)
        reaction = await moderator.next_event("message.reactions")
        assert reaction["reactions"] == {"👍": 1}
        assert reaction["user"] == "participant"

        await participant.send("edit", message_id=reply["message_id"], body="Предлагам точка 3")
        edited = await observer.next_event("message.edited")
        assert edited["message"]["body"] == "Предлагам точка 3"
        assert edited["message"]["edited_at"] is not None

        with pytest.raises(LiveClientError) as not_theirs:
            await moderator.send("edit", message_id=reply["message_id"], body="чуждо")
        assert not_theirs.value.code == "forbidden"

        await participant.send("delete", message_id=reply["message_id"])
        deleted = await observer.next_event("message.deleted")
        assert deleted["message"]["deleted"] is True
        assert deleted["message"]["body"] is None

        for command, fields in (
            ("post", {"body": "наблюдавам"}),
            ("react", {"message_id": message_id, "emoji": "👀", "on": True}),
            ("typing", {"active": True}),
        ):
            with pytest.raises(LiveClientError) as refused:
                await observer.send(command, **fields)
            assert refused.value.code == "forbidden", command

    stored = await services_of(server).discussion.revisions(reply["message_id"])
    assert stored == []  # the deleted message's earlier text went with it


async def test_presence_counts_people_once_and_shows_typing(
    server: RunningServer, people: People
) -> None:
    async with client(server, people, "moderator") as moderator:
        async with client(server, people, "participant") as first:
            joined = await moderator.next_event("presence")
            assert (joined["user"], joined["state"]) == ("participant", "joined")
            async with client(server, people, "participant") as second:
                assert second.welcome is not None
                assert [p["name"] for p in second.welcome["present"]] == [
                    "moderator",
                    "participant",
                ]
                await second.send("typing", active=True)
                typing = await moderator.next_event("typing")
                assert (typing["user"], typing["active"]) == ("participant", True)
                await first.send("idle", idle=True)
                idle = await moderator.next_event("presence")
                assert (idle["user"], idle["state"]) == ("participant", "idle")
            # one of two connections left: still here, so no "left" yet
            await first.send("idle", idle=False)
            back = await moderator.next_event("presence")
            assert back["state"] == "active"
        left = await moderator.next_event("presence")
        assert (left["user"], left["state"]) == ("participant", "left")


async def test_a_dropped_client_resumes_with_exactly_what_it_missed(
    server: RunningServer, people: People
) -> None:
    async with (
        client(server, people, "participant") as reader,
        client(server, people, "moderator") as writer,
    ):
        await writer.send("post", body="преди")
        seen = await reader.next_event("message.posted")
        await reader.drop()
        missed = [await writer.send("post", body=f"пропуснато {i}") for i in range(5)]
        # it comes back by itself (since = the last id it saw) and gets the five, in order
        replayed = [await reader.next_event("message.posted") for _ in missed]
        assert [e["id"] for e in replayed] == [m["event_id"] for m in missed]
        assert [e["message"]["body"] for e in replayed] == [f"пропуснато {i}" for i in range(5)]
        assert replayed[0]["id"] == seen["id"] + 1
        after = await writer.send("post", body="след")
        live = await reader.next_event("message.posted")
        assert live["id"] == after["event_id"]
        assert [m for m in reader.pending() if m.get("type") == "message.posted"] == []


async def test_resuming_from_an_id_replays_the_room_since_then(
    server: RunningServer, people: People
) -> None:
    async with client(server, people, "moderator") as writer:
        acks = [await writer.send("post", body=f"№{i}") for i in range(4)]
        await writer.send("delete", message_id=acks[2]["message_id"])
    since = acks[0]["event_id"]
    async with client(server, people, "observer", since=since) as late:
        replay = [await late.next_event(lambda m: "id" in m and m["type"] != "welcome")]
        replay += [
            await late.next_event(lambda m: "id" in m and m["type"] != "welcome") for _ in range(3)
        ]
    assert [e["id"] for e in replay] == list(range(since + 1, since + 5))
    bodies = [e["message"]["body"] for e in replay]
    assert bodies == ["№1", None, "№3", None]  # №2 was deleted since: its text is not replayed


async def test_bad_input_gets_an_error_and_the_room_goes_on(
    server: RunningServer, people: People
) -> None:
    limit = services_of(server).settings.max_message_chars
    async with (
        client(server, people, "participant") as sender,
        client(server, people, "moderator") as other,
    ):
        cases = [
            ("{not json", "invalid_json"),
            ("[1, 2]", "invalid_message"),
            ('{"type": 7}', "invalid_message"),
            ('{"type": "shout", "ref": "r1"}', "unknown_type"),
            ('{"type": "post", "ref": "r2"}', "invalid_message"),
            ('{"type": "post", "body": 42}', "invalid_message"),
            ('{"type": "post", "body": "x", "extra": true}', "invalid_message"),
            ('{"type": "react", "message_id": "1", "emoji": "👍", "on": true}', "invalid_message"),
            ('{"type": "post", "body": "   "}', "invalid_message"),
            (json.dumps({"type": "post", "body": "я" * (limit + 1)}), "too_large"),
            (json.dumps({"type": "post", "body": "я" * 70_000}), "too_large"),
            ('{"type": "edit", "message_id": 99999, "body": "x"}', "not_found"),
        ]
        for frame, code in cases:
            await sender.send_raw(frame)
            error = await sender.next_event("error")
            assert error["code"] == code, (frame[:60], error)
        assert error["ref"] is None
        await sender.send_raw('{"type": "shout", "ref": "r1"}')
        assert (await sender.next_event("error"))["ref"] == "r1"
        # both connections still work, and nothing of the bad frames was stored
        await sender.send("post", body="все още тук")
        assert (await other.next_event("message.posted"))["message"]["body"] == "все още тук"
    room = await services_of(server).rooms.store.find_room("room")
    assert room is not None
    assert await services_of(server).discussion.last_seq(room.id) == 1


async def test_a_binary_frame_is_refused_without_closing(
    server: RunningServer, people: People
) -> None:
    url = f"{server.live}/room?token={people.token('participant')}"
    async with connect(url) as ws:
        assert json.loads(await ws.recv())["type"] == "welcome"
        await ws.send(b"\x00\x01")
        assert json.loads(await ws.recv())["code"] == "invalid_message"
        await ws.send(json.dumps({"type": "post", "body": "текст", "ref": "a"}))
        # its own event first (every connection gets it), then the ack
        assert json.loads(await ws.recv())["type"] == "message.posted"
        assert json.loads(await ws.recv()) == {
            "type": "ack",
            "ref": "a",
            "message_id": 1,
            "event_id": 1,
        }


async def test_writes_are_rate_limited_per_member(database_url: str) -> None:
    settings = strict(database_url, live_write_rate=0.5, live_write_burst=3)
    async with serve_in_process(settings) as server:
        people = await make_people(services_of(server))
        await make_room(services_of(server), people, "room", visibility="public")
        async with client(server, people, "participant") as sender:
            for i in range(3):
                await sender.send("post", body=f"бързо {i}")
            with pytest.raises(LiveClientError) as limited:
                await sender.send("post", body="твърде бързо")
            assert limited.value.code == "rate_limited"
            assert 0 < limited.value.event["retry_after"] <= 2
            async with client(server, people, "moderator") as other:
                await other.send("post", body="друг член не е засегнат")


async def test_entering_needs_the_right_to_read_the_room(
    server: RunningServer, people: People
) -> None:
    async def refused(token: str | None, room: str = "room") -> int | None:
        live = LiveClient(server.live, room, token=token, reconnect=False)
        with pytest.raises(LiveClientError) as closed:
            await live.connect()
        await live.close()
        return closed.value.code  # type: ignore[return-value]

    assert await refused(None) == CloseCode.UNAUTHENTICATED
    assert await refused("vch_forged") == CloseCode.UNAUTHENTICATED
    assert await refused(people.token("outsider")) == CloseCode.UNKNOWN_DOCUMENT
    assert await refused(people.token("owner"), "no-such-room") == CloseCode.UNKNOWN_DOCUMENT
    await make_room(services_of(server), people, "open", visibility="public")
    async with LiveClient(server.live, "open") as anonymous:
        assert anonymous.welcome is not None
        assert anonymous.welcome["you"] is None
        with pytest.raises(LiveClientError) as read_only:
            await anonymous.send("post", body="анонимно")
        assert read_only.value.code == "forbidden"


async def test_a_full_room_says_so_and_closes(database_url: str) -> None:
    async with serve_in_process(strict(database_url, max_room_connections=2)) as server:
        people = await make_people(services_of(server))
        await make_room(services_of(server), people, "room", visibility="public")
        async with client(server, people, "owner"), client(server, people, "moderator"):
            url = f"{server.live}/room"
            async with connect(url) as ws:
                error = json.loads(await ws.recv())
                assert error["code"] == "room_full"
                await asyncio.wait_for(ws.wait_closed(), 5)
                assert ws.close_code == CloseCode.TOO_MANY_CONNECTIONS


async def test_revoked_tokens_and_removed_members_are_closed(
    server: RunningServer, people: People
) -> None:
    services = services_of(server)
    participant = client(server, people, "participant", reconnect=False)
    observer = client(server, people, "observer", reconnect=False)
    await participant.connect()
    await observer.connect()
    user = people.users["participant"]
    [token] = await services.accounts.store.list_api_tokens(user.id)
    assert await services.accounts.revoke_api_token(user, token.id)
    view = await services.rooms.view("room", people.users["owner"])
    await services.rooms.remove_member(view, "observer", None)
    assert await participant.wait_closed(timeout=5) == CloseCode.UNAUTHENTICATED
    assert await observer.wait_closed(timeout=5) == CloseCode.UNKNOWN_DOCUMENT  # hidden now
    await participant.close()
    await observer.close()
