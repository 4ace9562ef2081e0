from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crdt.awareness import AwarenessEntry, encode_awareness_update
from crdt.document import Backend
from crdt.errors import ProtocolError, UnsupportedMessageError, UpdateError
from crdt.messages import (
    AuthMessage,
    AwarenessMessage,
    QueryAwareness,
    SavedNotice,
    SubscribeSaved,
    SyncStep2,
    decode_message,
    encode_message,
    encode_update_frame,
    permission_denied,
)
from crdt.session import (
    AwarenessQueried,
    AwarenessReceived,
    Event,
    PermissionDenied,
    RemoteUpdate,
    Role,
    Saved,
    SavedNoticesRequested,
    Synced,
    SyncSession,
    UpdateApplied,
    WriteDenied,
)
from tests.crdt.conftest import ALL_BACKENDS, require_backend
from tests.crdt.helpers import SAMPLE_RENDERED, insert_text, pycrdt_sample

EMPTY_STEP2 = b"\x00\x01\x02\x00\x00"  # what the stock client sends on connect


def exchange(a: SyncSession, b: SyncSession) -> tuple[list[Event], list[Event]]:
    """Pass frames between two sessions until both are quiet; return their events."""
    events_a: list[Event] = []
    events_b: list[Event] = []
    for _ in range(10):
        to_b, to_a = a.data_to_send(), b.data_to_send()
        if not to_a and not to_b:
            return events_a, events_b
        for frame in to_b:
            events_b += b.receive(frame)
        for frame in to_a:
            events_a += a.receive(frame)
    raise AssertionError("the sessions never went quiet")


def test_start_sends_step1_with_the_state_vector(backend: Backend) -> None:
    session = SyncSession(backend.new_document(), Role.SERVER)
    session.start()
    assert session.data_to_send() == [b"\x00\x00\x01\x00"]
    assert session.data_to_send() == []


@pytest.mark.parametrize("server_backend", ALL_BACKENDS)
@pytest.mark.parametrize("client_backend", ALL_BACKENDS)
def test_server_and_client_converge(server_backend: str, client_backend: str) -> None:
    server_doc = require_backend(server_backend).new_document()
    server_doc.apply_update(pycrdt_sample())
    client_doc = require_backend(client_backend).new_document()
    insert_text(client_doc, "draft", 0, "офлайн чернова")
    server = SyncSession(server_doc, Role.SERVER)
    client = SyncSession(client_doc, Role.CLIENT)
    server.start()
    client.start()
    server_events, client_events = exchange(server, client)
    assert (
        server_doc.render() == client_doc.render() == {**SAMPLE_RENDERED, "draft": "офлайн чернова"}
    )
    assert Synced() in client_events
    assert client.synced
    assert any(isinstance(e, RemoteUpdate) for e in client_events)
    applied = [e for e in server_events if isinstance(e, UpdateApplied)]
    assert len(applied) == 1
    assert decode_message(applied[0].relay_frame) == decode_message(
        encode_update_frame(applied[0].update)
    )
    # a later local edit on the client travels as an update
    unsubscribe = client_doc.on_local_update(client.send_update)
    insert_text(client_doc, "content", 0, "» ")
    unsubscribe()
    server_events, _ = exchange(server, client)
    assert server_doc.text("content") == client_doc.text("content")
    assert [type(e) for e in server_events] == [UpdateApplied]


def test_relay_frame_of_an_update_is_the_received_object(backend: Backend) -> None:
    server = SyncSession(backend.new_document(), Role.SERVER)
    frame = encode_update_frame(pycrdt_sample())
    (event,) = server.receive(frame)
    assert isinstance(event, UpdateApplied)
    assert event.relay_frame is frame
    assert server.updates_applied == 1


def test_step2_on_the_server_is_relayed_as_an_update(backend: Backend) -> None:
    server = SyncSession(backend.new_document(), Role.SERVER)
    update = pycrdt_sample()
    assert server.receive(encode_message(SyncStep2(update))) == [
        UpdateApplied(update, encode_update_frame(update))
    ]
    assert server.receive(EMPTY_STEP2) == []


def test_read_only_session_denies_writes(backend: Backend) -> None:
    doc = backend.new_document()
    doc.apply_update(pycrdt_sample())
    before = doc.encode_state()
    server = SyncSession(doc, Role.SERVER, writable=False)
    assert server.receive(EMPTY_STEP2) == []  # the stock client's hello is ignored
    assert server.data_to_send() == []
    writer = backend.new_document()
    insert_text(writer, "content", 0, "забранено")
    for frame in (
        encode_update_frame(writer.encode_state()),
        encode_message(SyncStep2(writer.encode_state())),
    ):
        assert server.receive(frame) == [WriteDenied()]
        assert server.data_to_send() == [permission_denied("read-only")]
    assert doc.encode_state() == before
    # reading still works, and the flag can change
    server.receive(b"\x00\x00\x01\x00")
    (step2,) = server.data_to_send()
    assert decode_message(step2) == SyncStep2(before)
    server.writable = True
    assert isinstance(server.receive(encode_update_frame(writer.encode_state()))[0], UpdateApplied)


def test_other_messages_become_events(backend: Backend) -> None:
    server = SyncSession(backend.new_document(), Role.SERVER)
    entries = [AwarenessEntry(7, 1, '{"user":{"name":"Мария"}}')]
    frame = encode_message(AwarenessMessage(encode_awareness_update(entries)))
    (event,) = server.receive(frame)
    assert event == AwarenessReceived(entries, frame)
    assert isinstance(event, AwarenessReceived)
    assert event.frame is frame
    assert server.receive(encode_message(QueryAwareness())) == [AwarenessQueried()]
    assert server.receive(encode_message(SubscribeSaved())) == [SavedNoticesRequested()]
    client = SyncSession(backend.new_document(), Role.CLIENT)
    assert client.receive(encode_message(SavedNotice(2, 41))) == [Saved(2, 41)]
    assert client.receive(encode_message(AuthMessage("frozen"))) == [PermissionDenied("frozen")]
    assert server.data_to_send() == client.data_to_send() == []


def test_errors_leave_the_document_unchanged(backend: Backend) -> None:
    doc = backend.new_document()
    doc.apply_update(pycrdt_sample())
    before = doc.encode_state()
    session = SyncSession(doc, Role.SERVER)
    with pytest.raises(UpdateError):
        session.receive(encode_update_frame(b"\x01\x01garbage"))
    with pytest.raises(UnsupportedMessageError):
        session.receive(b"\x05")
    with pytest.raises(ProtocolError):
        session.receive(b"\x01\x05\x01")  # truncated awareness
    with pytest.raises(UpdateError):
        session.receive(b"\x00\x00\x02\xff\xff")  # step 1 with a bad state vector
    assert doc.encode_state() == before
    assert session.data_to_send() == []


frames = st.tuples(
    st.sampled_from(
        [b"", b"\x00\x00", b"\x00\x01", b"\x00\x02", b"\x01", b"\x02\x00", b"\x03", b"\x64"]
    ),
    st.binary(max_size=40),
).map(lambda parts: parts[0] + parts[1])


@pytest.mark.parametrize("role", list(Role))
def test_arbitrary_frames_raise_only_protocol_error(backend: Backend, role: Role) -> None:
    doc = backend.new_document()
    doc.apply_update(pycrdt_sample())

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(frames)
    def check(frame: bytes) -> None:
        session = SyncSession(doc, role)
        before = doc.encode_state()
        try:
            session.receive(frame)
        except ProtocolError:
            assert doc.encode_state() == before

    check()
