"""The event-loop-driven `/yjs/` socket: fragments, keepalive, routing of other paths."""

from __future__ import annotations

import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from crdt.messages import SyncStep1, SyncUpdate, encode_message
from server.closecodes import CloseCode
from server.raw_socket import PING_INTERVAL, PING_TIMEOUT
from tests.support.server import RunningServer
from tests.support.wire import RawPeer
from tests.support.ydocs import Typist, text_of


async def synced_peers(server: RunningServer, name: str, count: int) -> list[RawPeer]:
    """``count`` raw peers on document ``name``, each past the server's sync step 1."""
    peers = [await RawPeer.open(f"{server.yjs}/{name}") for _ in range(count)]
    for peer in peers:
        assert isinstance(await peer.recv_message(), SyncStep1)
    return peers


async def test_a_fragmented_message_is_assembled_and_relayed_whole(
    server: RunningServer,
) -> None:
    sender, receiver = await synced_peers(server, "fragments", 2)
    frame = encode_message(SyncUpdate(Typist().type("разделено на части")))
    await sender.ws.send([frame[:3], frame[3:10], frame[10:]])  # three WebSocket frames
    assert await receiver.recv() == frame
    await sender.close()
    await receiver.close()


async def test_keepalive_pings_quiet_peers_and_drops_silent_ones(server: RunningServer) -> None:
    answering, silent = await synced_peers(server, "keepalive", 2)
    shared = server.app.state.services.documents.get("keepalive")  # type: ignore[attr-defined]
    first, second = [c.channel for c in shared.connections.values()]
    silent.ws.transport.pause_reading()  # it will never see the ping, so never answers it

    now = time.monotonic() + PING_INTERVAL + 1
    first.keepalive(now)
    second.keepalive(now)
    # Two round trips: the answering peer's pong (sent when it read the ping, before the
    # first reply) has reached the server by the time the second reply comes back.
    for _ in range(2):
        await answering.send(encode_message(SyncStep1(b"\x00")))
        await answering.recv()
    later = now + PING_TIMEOUT + 1
    first.keepalive(later)
    second.keepalive(later)

    assert len(shared.connections) == 1
    silent.ws.transport.resume_reading()
    assert await silent.closed_with() == CloseCode.INTERNAL_ERROR
    await answering.close()
    await silent.close()


async def test_other_websocket_paths_go_to_the_asgi_application(server: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"ws://127.0.0.1:{server.port}/not-a-socket")
    assert refused.value.response.status_code == 403


async def test_updates_read_together_go_out_merged_and_never_back_to_their_writer(
    server: RunningServer,
) -> None:
    writer, observer = await synced_peers(server, "merged", 2)
    typist = Typist()
    updates = [typist.type(piece) for piece in ("Чл. 1 ", "Общината ", "публикува ✅")]
    protocol = writer.ws.protocol
    for update in updates:
        protocol.send_binary(encode_message(SyncUpdate(update)))
    writer.ws.transport.write(b"".join(protocol.data_to_send()))  # one read for the server

    relayed = await observer.recv_until(lambda m: isinstance(m, SyncUpdate))
    assert isinstance(relayed, SyncUpdate)
    assert relayed.update not in updates  # one merged update, not the first of three
    assert text_of(relayed.update) == "Чл. 1 Общината публикува ✅"
    with pytest.raises(TimeoutError):  # the writer is not sent its own updates back
        await writer.recv_until(lambda m: isinstance(m, SyncUpdate), timeout=0.5)

    lone = typist.type(" Край.")
    await writer.send(encode_message(SyncUpdate(lone)))
    assert await observer.recv() == encode_message(SyncUpdate(lone))  # the very bytes
    await writer.close()
    await observer.close()
