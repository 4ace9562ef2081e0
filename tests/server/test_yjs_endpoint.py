"""The `/yjs/{document}` endpoint over real WebSockets, on each CRDT backend."""

from __future__ import annotations

import pytest

from crdt.messages import (
    SavedNotice,
    SubscribeSaved,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    encode_message,
)
from server.closecodes import CloseCode
from storage.document_log import DocumentLog
from tests.support.server import RunningServer
from tests.support.wire import RawPeer
from tests.support.ydocs import Typist, text_of

EMPTY_STATE_VECTOR = b"\x00"


async def open_synced(server: RunningServer, name: str) -> RawPeer:
    """A peer that has read the server's opening sync step 1."""
    peer = await RawPeer.open(f"{server.yjs}/{name}")
    assert isinstance(await peer.recv_message(), SyncStep1)
    return peer


async def test_server_opens_with_step1_and_answers_step1_with_the_state(
    server: RunningServer,
) -> None:
    writer = await open_synced(server, "handshake")
    typist = Typist()
    await writer.send(encode_message(SyncUpdate(typist.type("Проект за решение"))))

    reader = await RawPeer.open(f"{server.yjs}/handshake")
    opening = await reader.recv_message()
    assert isinstance(opening, SyncStep1)
    assert opening.state_vector != EMPTY_STATE_VECTOR
    await reader.send(encode_message(SyncStep1(EMPTY_STATE_VECTOR)))
    reply = await reader.recv_until(lambda m: isinstance(m, SyncStep2))
    assert isinstance(reply, SyncStep2)
    assert text_of(reply.update) == "Проект за решение"
    await writer.close()
    await reader.close()


async def test_update_is_relayed_as_received_and_saved_after_commit(
    server: RunningServer, document_log: DocumentLog
) -> None:
    writer = await open_synced(server, "relay")
    other = await open_synced(server, "relay")
    await writer.send(encode_message(SubscribeSaved()))
    assert await writer.recv_message() == SavedNotice(acknowledged=0, seq=0)

    typist = Typist()
    update = typist.type("Общинският съвет 🏛️")
    frame = encode_message(SyncUpdate(update))
    await writer.send(frame)

    assert await other.recv() == frame  # the very bytes, not re-encoded
    assert await writer.recv_message() == SavedNotice(acknowledged=1, seq=1)
    stored = await document_log.find_document("relay")
    assert stored is not None
    state = await document_log.load("relay")
    assert state.updates == [update]
    assert await document_log.update_count(stored.id) == 1
    await writer.close()
    await other.close()


async def test_saved_notice_counts_every_write_message_in_order(server: RunningServer) -> None:
    writer = await open_synced(server, "counting")
    await writer.send(encode_message(SubscribeSaved()))
    await writer.recv_message()
    typist = Typist()
    await writer.send(encode_message(SyncStep2(b"\x00\x00")))  # empty: nothing to store
    for chunk in "абв":
        await writer.send(encode_message(SyncUpdate(typist.type(chunk))))
    last = await writer.recv_until(
        lambda m: isinstance(m, SavedNotice) and m.acknowledged == 4, timeout=10
    )
    assert last == SavedNotice(acknowledged=4, seq=3)
    await writer.close()


async def test_stock_client_never_gets_saved_notices_unless_it_asks(
    server: RunningServer,
) -> None:
    writer = await open_synced(server, "quiet")
    typist = Typist()
    await writer.send(encode_message(SyncUpdate(typist.type("x"))))
    await writer.send(encode_message(SyncStep1(EMPTY_STATE_VECTOR)))
    # The step 2 reply comes after the update was handled; no notice came in between.
    reply = await writer.recv_message()
    assert isinstance(reply, SyncStep2)
    assert text_of(reply.update) == "x"
    await writer.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        pytest.param(b"\x4d\x00", CloseCode.UNSUPPORTED_DATA, id="unknown-type"),
        pytest.param(b"\x00\x02\x80", CloseCode.PROTOCOL_ERROR, id="truncated-varint"),
        pytest.param(
            encode_message(SyncUpdate(b"\x05garbage\xff\xff")),
            CloseCode.PROTOCOL_ERROR,
            id="garbage-update",
        ),
        pytest.param(
            b"\x00\x02" + b"\x01" * (1024 * 1024 + 1),
            CloseCode.MESSAGE_TOO_BIG,
            id="oversize-frame",
        ),
        pytest.param("hello", CloseCode.UNSUPPORTED_DATA, id="text-frame"),
    ],
)
async def test_bad_input_closes_only_that_connection_and_stores_nothing(
    server: RunningServer, document_log: DocumentLog, frame: bytes | str, code: CloseCode
) -> None:
    name = "bad-input"
    typist = Typist()
    good = await open_synced(server, name)
    await good.send(encode_message(SubscribeSaved()))
    await good.recv_message()
    await good.send(encode_message(SyncUpdate(typist.type("цяло"))))
    await good.recv_until(lambda m: isinstance(m, SavedNotice) and m.acknowledged == 1)

    bad = await open_synced(server, name)
    await bad.send(frame)
    assert await bad.closed_with() == code

    # The document and the other connection are unaffected.
    await good.send(encode_message(SyncUpdate(typist.type(" и здраво"))))
    await good.recv_until(lambda m: isinstance(m, SavedNotice) and m.acknowledged == 2)
    late = await open_synced(server, name)
    await late.send(encode_message(SyncStep1(EMPTY_STATE_VECTOR)))
    reply = await late.recv_until(lambda m: isinstance(m, SyncStep2))
    assert isinstance(reply, SyncStep2)
    assert text_of(reply.update) == "цяло и здраво"
    stored = await document_log.find_document(name)
    assert stored is not None
    assert await document_log.update_count(stored.id) == 2
    for peer in (good, late):
        await peer.close()


async def test_invalid_document_name_is_refused(server: RunningServer) -> None:
    peer = await RawPeer.open(f"{server.yjs}/bad%07name")
    assert await peer.closed_with() == CloseCode.BAD_REQUEST
