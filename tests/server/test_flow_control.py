"""Slow readers are cut loose; fast writers are slowed down, never dropped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from crdt.messages import SavedNotice, SubscribeSaved, SyncStep1, SyncUpdate, encode_message
from server.closecodes import CloseCode
from server.settings import Settings
from storage.document_log import DocumentLog
from tests.support.server import RunningServer, serve_in_process
from tests.support.waiting import eventually
from tests.support.wire import RawPeer
from tests.support.ydocs import Typist


async def metric(server: RunningServer, line_prefix: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{server.http}/metrics")).text
    for line in text.splitlines():
        if line.startswith(line_prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def wait_metric(server: RunningServer, line_prefix: str, at_least: float) -> float:
    async def reached() -> bool:
        return await metric(server, line_prefix) >= at_least

    await eventually(reached)
    return await metric(server, line_prefix)


@pytest.fixture
async def tight_server(settings: Settings) -> AsyncIterator[RunningServer]:
    tight = settings.with_overrides(send_queue_bytes=256 * 1024, update_rate=20.0, update_burst=5)
    async with serve_in_process(tight) as running:
        yield running


async def test_slow_reader_is_closed_without_delaying_the_others(
    tight_server: RunningServer,
) -> None:
    server = tight_server
    name = "slow"
    # A peer that never reads: the client library stops reading its socket once 4 frames wait.
    slow = await RawPeer.open(f"{server.yjs}/{name}", max_queue=4)
    fast = await RawPeer.open(f"{server.yjs}/{name}")
    writer = await RawPeer.open(f"{server.yjs}/{name}")
    assert isinstance(await fast.recv_message(), SyncStep1)
    assert isinstance(await writer.recv_message(), SyncStep1)

    typist = Typist()
    chunk = "ж" * 50_000  # ~100 KB of UTF-8 per update
    frames = [encode_message(SyncUpdate(typist.type(chunk))) for _ in range(120)]

    mirror = Typist()  # what the reading peer holds
    progress = asyncio.Event()

    def chunks_read() -> int:
        return len(str(mirror)) // len(chunk)

    async def write() -> None:
        # paced by the reading peer (at most two frames ahead of it), so a busy machine
        # cannot make the reader itself fall 256 KiB behind; the slow peer falls behind anyway
        for n, frame in enumerate(frames):
            while chunks_read() < n - 2:
                progress.clear()
                await progress.wait()
            await writer.send(frame)

    async def read_all() -> None:
        # updates read together may come merged into one (docs/protocol.md): count the text
        while chunks_read() < len(frames):
            message = await fast.recv_until(lambda m: isinstance(m, SyncUpdate), timeout=20)
            assert isinstance(message, SyncUpdate)
            mirror.apply(message.update)
            progress.set()

    await asyncio.gather(write(), read_all())
    assert str(mirror) == str(typist)  # every update reached the reading peer

    # The slow peer fell more than 256 KiB behind and was cut loose with a retryable code.
    assert await wait_metric(server, 'veche_connections_closed_total{reason="slow_reader"}', 1) == 1
    assert await slow.closed_with(timeout=10) == CloseCode.SLOW_READER
    assert 4500 <= CloseCode.SLOW_READER <= 4599
    for peer in (fast, writer):
        await peer.close()


async def test_rate_limit_delays_but_keeps_every_update(
    tight_server: RunningServer, document_log: DocumentLog
) -> None:
    server = tight_server
    writer = await RawPeer.open(f"{server.yjs}/limited")
    assert isinstance(await writer.recv_message(), SyncStep1)
    await writer.send(encode_message(SubscribeSaved()))
    await writer.recv_message()
    typist = Typist()
    for i in range(30):
        await writer.send(encode_message(SyncUpdate(typist.type(str(i % 10)))))
    await writer.recv_until(
        lambda m: isinstance(m, SavedNotice) and m.acknowledged == 30, timeout=20
    )
    assert await metric(server, "veche_updates_throttled_total") >= 20
    stored = await document_log.find_document("limited")
    assert stored is not None
    assert await document_log.update_count(stored.id) == 30
    await writer.close()
