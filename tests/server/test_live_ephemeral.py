"""A live room's ephemeral messages while they come fast (server/live/ephemeral.py): held for at
most the spacing and handed to each connection in one event-loop turn, in order, to whom they
were for; at once when the room is quiet. The room's own use of it (joins, events after what
was told) is covered end to end by the live-room tests; here the outbox alone, with receivers
that record what they are handed and in which turn."""

from __future__ import annotations

import asyncio

from server.live.ephemeral import EphemeralOutbox


class Recorder:
    def __init__(self, attached: int, turns: list[int]) -> None:
        self.attached = attached
        self.frames: list[bytes] = []
        self.turns = turns  # the loop turn of each frame handed over, shared by all

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)
        self.turns.append(turn[0])


turn = [0]


async def count_turns(stop: asyncio.Event) -> None:
    while not stop.is_set():
        turn[0] += 1
        await asyncio.sleep(0)


async def test_a_message_in_a_quiet_room_goes_at_once() -> None:
    turns: list[int] = []
    first, second = Recorder(1, turns), Recorder(2, turns)
    outbox = EphemeralOutbox(lambda: [first, second], spacing=0.2)
    outbox.add(b"joined:a", exclude=second, horizon=2)
    assert first.frames == [b"joined:a"]  # before anything awaited
    assert second.frames == []  # its own arrival is not told to it
    assert outbox.holding == 0


async def test_messages_that_come_fast_wait_for_the_interval_and_go_together_in_order() -> None:
    turns: list[int] = []
    receivers = [Recorder(n, turns) for n in (1, 2, 3)]
    outbox = EphemeralOutbox(lambda: receivers, spacing=0.2)
    stop = asyncio.Event()
    counter = asyncio.create_task(count_turns(stop))
    try:
        loop = asyncio.get_running_loop()
        outbox.add(b"m0", exclude=None, horizon=3)  # quiet: at once
        sent_at = loop.time()
        for n in range(1, 6):
            outbox.add(f"m{n}".encode(), exclude=receivers[n % 3], horizon=3)
            await asyncio.sleep(0.01)
        assert outbox.holding == 5
        assert all(r.frames == [b"m0"] for r in receivers)
        for _ in range(200):  # bounded: 1 s at most
            if not outbox.holding:
                break
            await asyncio.sleep(0.005)
        waited = loop.time() - sent_at
    finally:
        stop.set()
        await counter
    assert 0.18 <= waited < 1.0  # the interval since the last write, not more than needed
    for index, receiver in enumerate(receivers):
        expected = [b"m0"] + [f"m{n}".encode() for n in range(1, 6) if n % 3 != index]
        assert receiver.frames == expected
    later = turns[len(receivers) :]  # everything held was handed over in a single turn
    assert len(later) == 5 * 3 - 5
    assert len(set(later)) == 1


async def test_a_connection_attached_after_a_message_is_not_handed_it() -> None:
    turns: list[int] = []
    early = Recorder(1, turns)
    receivers = [early]
    outbox = EphemeralOutbox(lambda: receivers, spacing=0.05)
    outbox.add(b"first", exclude=None, horizon=1)
    outbox.add(b"joined:b", exclude=None, horizon=1)  # held: told before `late` attached
    late = Recorder(2, turns)
    receivers.append(late)
    outbox.add(b"typing:b", exclude=None, horizon=2)
    outbox.flush()  # as a numbered event does before it is delivered
    assert early.frames == [b"first", b"joined:b", b"typing:b"]
    assert late.frames == [b"typing:b"]
    assert outbox.holding == 0


async def test_a_stopped_outbox_sends_nothing_more() -> None:
    turns: list[int] = []
    receiver = Recorder(1, turns)
    outbox = EphemeralOutbox(lambda: [receiver], spacing=0.05)
    outbox.add(b"a", exclude=None, horizon=1)
    outbox.add(b"b", exclude=None, horizon=1)
    outbox.stop()
    await asyncio.sleep(0.1)
    assert receiver.frames == [b"a"]
