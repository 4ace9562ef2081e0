"""Live session tools over real WebSockets: the agenda, the speaking queue, the floor."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from client import LiveClient, LiveClientError
from server.settings import Settings
from tests.support.room_server import strict, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People, add_participants, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process
from tests.support.waiting import eventually

Message = dict[str, Any]


async def add_participant(server: RunningServer, people: People, name: str) -> None:
    """Another participant of the room, with a token (make_people has one of each role)."""
    services = services_of(server)
    view = await services.rooms.view("room", people.users["owner"])
    await add_participants(services, view, people, (name,))


async def set_up(server: RunningServer) -> People:
    people = await make_people(services_of(server))
    await make_room(services_of(server), people, "room", visibility="private")
    await add_participant(server, people, "speaker")
    return people


@pytest.fixture
async def people(server: RunningServer) -> People:
    return await set_up(server)


def client(server: RunningServer, people: People, caller: str) -> LiveClient:
    return LiveClient(server.live, "room", token=people.token(caller))


async def announced(watcher: LiveClient, ack: Message) -> Message:
    """The numbered event an ack names (the ones before it are passed over)."""
    return await watcher.next_event(lambda m: m.get("id") == ack["event_id"])


def titles(event: Message) -> list[str]:
    return [item["title"] for item in event["agenda"]]


async def room_id(server: RunningServer) -> int:
    room = await services_of(server).rooms.store.find_room("room")
    assert room is not None
    return room.id


async def test_a_moderator_builds_the_agenda_and_moves_the_current_item(
    server: RunningServer, people: People
) -> None:
    async with (
        client(server, people, "moderator") as moderator,
        client(server, people, "participant") as participant,
        client(server, people, "observer") as observer,
    ):
        assert moderator.welcome is not None
        assert moderator.welcome["session"] == {
            "agenda": [],
            "current_item_id": None,
            "queue": [],
            "floor": None,
        }
        ids = {}
        for title in ("Откриване", "Бюджет", "Разни"):
            ack = await moderator.send("agenda_add", title=title)
            ids[title] = ack["item_id"]
            changed = await observer.next_event("agenda.changed")
            assert changed["id"] == ack["event_id"]
        assert titles(changed) == ["Откриване", "Бюджет", "Разни"]
        assert [item["position"] for item in changed["agenda"]] == [0, 1, 2]

        first = await moderator.send("agenda_add", title="  Приветствие ", position=0)
        ids["Приветствие"] = first["item_id"]
        changed = await announced(participant, first)
        assert changed["type"] == "agenda.changed"
        assert titles(changed) == ["Приветствие", "Откриване", "Бюджет", "Разни"]
        assert [item["position"] for item in changed["agenda"]] == [0, 1, 2, 3]
        assert changed["agenda"][0] == {
            "id": ids["Приветствие"],
            "position": 0,
            "title": "Приветствие",
        }

        moved = await moderator.send("agenda_move", item_id=ids["Разни"], position=1)
        changed = await announced(observer, moved)
        assert titles(changed) == ["Приветствие", "Разни", "Откриване", "Бюджет"]
        moved = await moderator.send("agenda_move", item_id=ids["Приветствие"], position=99)
        changed = await announced(observer, moved)
        assert titles(changed) == ["Разни", "Откриване", "Бюджет", "Приветствие"]
        unmoved = await moderator.send("agenda_move", item_id=ids["Разни"], position=0)
        assert unmoved["event_id"] is None  # already there: nothing to announce

        current = await moderator.send("agenda_current", item_id=ids["Откриване"])
        changed = await announced(participant, current)
        assert changed["current_item_id"] == ids["Откриване"]
        current = await moderator.send("agenda_current", item_id=ids["Бюджет"])
        changed = await announced(observer, current)
        assert changed["current_item_id"] == ids["Бюджет"]
        again = await moderator.send("agenda_current", item_id=ids["Бюджет"])
        assert again["event_id"] is None

        # the current item removed: no item is current, the others close up
        removed = await moderator.send("agenda_remove", item_id=ids["Бюджет"])
        changed = await announced(observer, removed)
        assert changed["type"] == "agenda.changed"
        assert titles(changed) == ["Разни", "Откриване", "Приветствие"]
        assert [item["position"] for item in changed["agenda"]] == [0, 1, 2]
        assert changed["current_item_id"] is None
        await moderator.send("agenda_current", item_id=ids["Разни"])
        none = await moderator.send("agenda_current", item_id=None)
        changed = await announced(observer, none)
        assert changed["current_item_id"] is None
        assert titles(changed) == ["Разни", "Откриване", "Приветствие"]

        gone = ids["Бюджет"]
        for command, fields, code in (
            ("agenda_move", {"item_id": gone, "position": 0}, "not_found"),
            ("agenda_remove", {"item_id": gone}, "not_found"),
            ("agenda_current", {"item_id": gone}, "not_found"),
            ("agenda_current", {}, "invalid_message"),
            ("agenda_add", {"title": "   "}, "invalid_message"),
            ("agenda_add", {"title": "т" * 201}, "too_large"),
            ("agenda_add", {"title": "x", "position": -1}, "invalid_message"),
        ):
            with pytest.raises(LiveClientError) as refused:
                await moderator.send(command, **fields)
            assert refused.value.code == code, (command, fields)


async def test_hands_queue_in_order_and_the_moderator_gives_the_floor(
    server: RunningServer, people: People
) -> None:
    async with (
        client(server, people, "moderator") as moderator,
        client(server, people, "participant") as participant,
        client(server, people, "speaker") as speaker,
        client(server, people, "observer") as observer,
    ):

        async def queue_seen() -> list[str]:
            queue: list[str] = (await observer.next_event("queue.changed"))["queue"]
            return queue

        await participant.send("raise_hand")
        assert await queue_seen() == ["participant"]
        raised = await speaker.send("raise_hand")
        assert raised["queue"] == ["participant", "speaker"]
        assert await queue_seen() == ["participant", "speaker"]
        again = await participant.send("raise_hand")  # keeps the first place, no event
        assert (again["event_id"], again["queue"]) == (None, ["participant", "speaker"])

        await participant.send("lower_hand")
        assert await queue_seen() == ["speaker"]
        await participant.send("raise_hand")  # now behind the speaker
        assert await queue_seen() == ["speaker", "participant"]
        not_raised = await moderator.send("lower_hand")
        assert not_raised["event_id"] is None
        await moderator.send("lower_hand", user="participant")
        assert await queue_seen() == ["speaker"]
        await participant.send("raise_hand")
        assert await queue_seen() == ["speaker", "participant"]

        # the floor with a timer: everyone sees the same end; the speaker leaves the queue
        given = await moderator.send("give_floor", user="speaker", seconds=120)
        floors = [await watcher.next_event("floor.changed") for watcher in (participant, observer)]
        floor = floors[0]["floor"]
        assert floors[0] == floors[1]
        assert floors[0]["id"] == given["event_id"] - 1
        assert (floor["user"], floor["display_name"], floor["seconds"]) == (
            "speaker",
            "Speaker",
            120,
        )
        since, ends_at = (datetime.fromisoformat(floor[k]) for k in ("since", "ends_at"))
        assert ends_at - since == timedelta(seconds=120)
        assert given["floor"] == floor
        queue = await observer.next_event("queue.changed")
        assert (queue["id"], queue["queue"]) == (given["event_id"], ["participant"])

        await speaker.send("raise_hand")
        assert await queue_seen() == ["participant", "speaker"]
        following = await moderator.send("next_speaker", seconds=60)
        floor = (await observer.next_event("floor.changed"))["floor"]
        assert (floor["user"], floor["seconds"]) == ("participant", 60)
        assert following["floor"] == floor
        assert await queue_seen() == ["speaker"]
        untimed = await moderator.send("next_speaker")
        floor = (await observer.next_event("floor.changed"))["floor"]
        assert (floor["user"], floor["seconds"], floor["ends_at"]) == ("speaker", None, None)
        assert untimed["floor"] == floor
        assert await queue_seen() == []
        # nobody in the queue: the floor goes to nobody
        await moderator.send("next_speaker")
        assert (await observer.next_event("floor.changed"))["floor"] is None
        nobody = await moderator.send("end_floor")
        assert (nobody["event_id"], nobody["floor"]) == (None, None)

        # an observer may be given the floor (a guest speaker), and the floor taken back
        await moderator.send("give_floor", user="observer")
        assert (await observer.next_event("floor.changed"))["floor"]["user"] == "observer"
        await moderator.send("end_floor")
        assert (await observer.next_event("floor.changed"))["floor"] is None
        for name in ("outsider", "no-such-user"):
            with pytest.raises(LiveClientError) as refused:
                await moderator.send("give_floor", user=name)
            assert refused.value.code == "not_found", name
        for seconds in (0, 3601, "60"):
            with pytest.raises(LiveClientError) as refused:
                await moderator.send("give_floor", user="speaker", seconds=seconds)
            assert refused.value.code == "invalid_message", seconds


async def test_a_reconnecting_client_is_welcomed_with_the_session(
    server: RunningServer, people: People
) -> None:
    async with (
        client(server, people, "moderator") as moderator,
        client(server, people, "participant") as participant,
        client(server, people, "speaker") as speaker,
    ):
        item = (await moderator.send("agenda_add", title="Отчет"))["item_id"]
        await moderator.send("agenda_current", item_id=item)
        await participant.send("raise_hand")
        await speaker.send("raise_hand")
        floor = (await moderator.send("give_floor", user="moderator", seconds=300))["floor"]
        participant.pending()  # the first welcome and the events so far
        await participant.drop()
        welcome = await participant.next_event("welcome")  # back by itself
        expected = {
            "agenda": [{"id": item, "position": 0, "title": "Отчет"}],
            "current_item_id": item,
            "queue": ["participant", "speaker"],
            "floor": floor,
        }
        assert welcome["session"] == expected
        async with client(server, people, "observer") as late:
            assert late.welcome is not None
            assert late.welcome["session"] == expected


async def test_the_session_survives_a_restart(database_url: str) -> None:
    settings: Settings = strict(database_url)
    async with serve_in_process(settings) as first:
        people = await set_up(first)
        async with (
            client(first, people, "moderator") as moderator,
            client(first, people, "speaker") as speaker,
        ):
            item = (await moderator.send("agenda_add", title="Първа"))["item_id"]
            await moderator.send("agenda_add", title="Втора", position=0)
            await moderator.send("agenda_current", item_id=item)
            await speaker.send("raise_hand")
            await moderator.send("give_floor", user="participant", seconds=3600)
            assert moderator.welcome is not None
        async with client(first, people, "observer") as observer:
            assert observer.welcome is not None
            before = observer.welcome["session"]
            last = observer.welcome["last_event_id"]
    assert before["floor"]["user"] == "participant"
    assert before["queue"] == ["speaker"]

    async with serve_in_process(settings) as second:
        async with client(second, people, "observer") as observer:
            assert observer.welcome is not None
            assert observer.welcome["session"] == before
            assert observer.welcome["last_event_id"] == last
        async with client(second, people, "moderator") as moderator:
            following = await moderator.send("next_speaker")
            assert following["event_id"] == last + 2  # the floor, then the queue
            assert following["floor"]["user"] == "speaker"


# who may do what: every session command refused to those below its action (table-driven)
RUN_SESSION: list[tuple[str, dict[str, Any]]] = [
    ("agenda_add", {"title": "Точка"}),
    ("agenda_move", {"item_id": 1, "position": 0}),
    ("agenda_remove", {"item_id": 1}),
    ("agenda_current", {"item_id": None}),
    ("give_floor", {"user": "participant"}),
    ("end_floor", {}),
    ("next_speaker", {"seconds": 30}),
    ("lower_hand", {"user": "speaker"}),
]
REFUSED: list[tuple[str, str, dict[str, Any]]] = [
    *(
        (caller, command, fields)
        for caller in ("observer", "participant")
        for command, fields in RUN_SESSION
    ),
    ("observer", "raise_hand", {}),
    ("observer", "lower_hand", {}),
]


async def test_who_may_run_the_session_and_raise_a_hand(
    server: RunningServer, people: People
) -> None:
    connected = {name: client(server, people, name) for name in ("observer", "participant")}
    async with connected["observer"], connected["participant"]:
        last = await services_of(server).discussion.last_seq(await room_id(server))
        for caller, command, fields in REFUSED:
            with pytest.raises(LiveClientError) as refused:
                await connected[caller].send(command, **fields)
            assert refused.value.code == "forbidden", (caller, command)
        assert await services_of(server).discussion.last_seq(await room_id(server)) == last
        # the same commands from those allowed them
        await connected["participant"].send("raise_hand")
        await connected["participant"].send("lower_hand")
    async with (
        client(server, people, "owner") as owner,
        client(server, people, "moderator") as moderator,
    ):
        item = (await owner.send("agenda_add", title="Точка"))["item_id"]
        await moderator.send("agenda_current", item_id=item)
        await owner.send("give_floor", user="moderator", seconds=30)
        await moderator.send("end_floor")


async def test_a_short_timer_announces_the_end_of_the_time_once(
    server: RunningServer, people: People
) -> None:
    async with (
        client(server, people, "moderator") as moderator,
        client(server, people, "participant") as participant,
    ):
        floor = (await moderator.send("give_floor", user="participant", seconds=1))["floor"]
        for watcher in (participant, moderator):
            time_up = await watcher.next_event("floor.time_up", timeout=5)
            assert time_up == {"type": "floor.time_up", "floor": floor}
            assert "id" not in time_up  # ephemeral: not numbered, not stored
        # the floor stays (nobody is cut off) until the moderator moves on
        assert (await moderator.send("end_floor"))["floor"] is None

        # a floor changed before its time is up is not announced: only the newer one is (and
        # a second announcement of the first timer would have come before it)
        await moderator.send("give_floor", user="participant", seconds=1)
        newer = (await moderator.send("give_floor", user="speaker", seconds=2))["floor"]
        time_up = await participant.next_event("floor.time_up", timeout=6)
        assert time_up["floor"] == newer


async def test_the_timer_is_set_again_when_the_room_opens_again(
    server: RunningServer, people: People
) -> None:
    async with client(server, people, "moderator") as moderator:
        floor = (await moderator.send("give_floor", user="participant", seconds=2))["floor"]
    live_rooms = services_of(server).live_rooms
    number = await room_id(server)

    async def closed() -> bool:
        return live_rooms.get(number) is None

    await eventually(closed)  # everyone left: the room and its timer are gone
    async with client(server, people, "observer") as observer:
        assert observer.welcome is not None
        assert observer.welcome["session"]["floor"] == floor
        time_up = await observer.next_event("floor.time_up", timeout=6)
        assert time_up["floor"] == floor
