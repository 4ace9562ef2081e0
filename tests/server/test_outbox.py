"""The per-connection outbox: bounded, ordered, closes after what is queued."""

from __future__ import annotations

import asyncio

from server.documents.outbox import Outbox


class RecordingSink:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed: tuple[int, str] | None = None

    async def send(self, frame: bytes) -> None:
        self.frames.append(frame)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def test_put_refuses_what_would_exceed_the_bound() -> None:
    outbox = Outbox(limit_bytes=10)
    assert outbox.put(b"123456")
    assert outbox.put(b"1234")
    assert not outbox.put(b"1")
    assert outbox.queued_bytes == 10


async def test_frames_are_written_in_order_then_the_close() -> None:
    outbox = Outbox(limit_bytes=100)
    sink = RecordingSink()
    writer = asyncio.create_task(outbox.run(sink))
    for frame in (b"a", b"b", b"c"):
        outbox.put(frame)
    outbox.close(1000, "bye")
    async with asyncio.timeout(5):
        await writer
    assert sink.frames == [b"a", b"b", b"c"]
    assert sink.closed == (1000, "bye")
    assert outbox.queued_bytes == 0


async def test_discarding_close_drops_what_is_queued() -> None:
    outbox = Outbox(limit_bytes=100)
    outbox.put(b"stale")
    outbox.close(4508, "too slow", discard=True)
    sink = RecordingSink()
    async with asyncio.timeout(5):
        await outbox.run(sink)
    assert sink.frames == []
    assert sink.closed == (4508, "too slow")
