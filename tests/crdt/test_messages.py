from __future__ import annotations

import contextlib
from typing import Any

import pycrdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.errors import ProtocolError, UnsupportedMessageError
from crdt.lib0 import MAX_SAFE_INTEGER
from crdt.messages import (
    AuthMessage,
    AwarenessMessage,
    Message,
    MessageType,
    QueryAwareness,
    SavedNotice,
    SubscribeSaved,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_message,
    encode_update_frame,
    permission_denied,
)

# A Yjs update: client 1 inserts "a" into the root Text "content".
INSERT_A = b"\x01\x01\x01\x00\x04\x01\x07content\x01a\x00"


@pytest.mark.parametrize(
    ("message", "frame"),
    [
        (SyncStep1(b"\x00"), b"\x00\x00\x01\x00"),  # step 1 of a fresh Yjs document
        (SyncStep2(b"\x00\x00"), b"\x00\x01\x02\x00\x00"),  # step 2 with an empty update
        (SyncUpdate(INSERT_A), b"\x00\x02\x11" + INSERT_A),
        (AwarenessMessage(b"\x00"), b"\x01\x01\x00"),
        (AuthMessage("read-only"), b"\x02\x00\x09read-only"),
        (AuthMessage("само четене"), b"\x02\x00\x15" + "само четене".encode()),
        (QueryAwareness(), b"\x03"),
        (SubscribeSaved(), b"\x64"),
        (SavedNotice(3, 300), b"\x64\x03\xac\x02"),
    ],
)
def test_known_frames(message: Message, frame: bytes) -> None:
    assert encode_message(message) == frame
    assert decode_message(frame) == message


def test_message_type_values_match_y_protocols() -> None:
    assert [int(t) for t in MessageType] == [0, 1, 2, 3, 100]


def test_frames_match_pycrdt_y_protocol_helpers() -> None:
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=1)
    doc.get("content", type=pycrdt.Text).insert(0, "a")
    assert doc.get_update() == INSERT_A  # the same bytes Yjs writes
    assert pycrdt.create_update_message(INSERT_A) == encode_update_frame(INSERT_A)
    assert pycrdt.create_sync_message(doc) == encode_message(SyncStep1(doc.get_state()))


def test_update_frame_with_long_payload() -> None:
    update = bytes(300)
    assert encode_update_frame(update) == b"\x00\x02\xac\x02" + update
    assert decode_message(encode_update_frame(update)) == SyncUpdate(update)


def test_permission_denied_helper() -> None:
    assert permission_denied("frozen") == encode_message(AuthMessage("frozen"))


@pytest.mark.parametrize("frame", [b"\x04", b"\x63", b"\x00\x03\x00", b"\x02\x01\x00"])
def test_unknown_types_are_unsupported(frame: bytes) -> None:
    with pytest.raises(UnsupportedMessageError):
        decode_message(frame)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00",
        b"\x00\x02\x05ab",  # truncated payload
        b"\x00\x00\x01\x00\x00",  # trailing byte
        b"\x03\x00",
        b"\x64\x01",  # saved notice without seq
        b"\x64\x01\x02\x03",
        b"\x02\x00\x02\xc3\x28",  # invalid UTF-8 reason
    ],
)
def test_malformed_frames(frame: bytes) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_message(frame)
    assert not isinstance(info.value, UnsupportedMessageError)


uints = st.integers(0, MAX_SAFE_INTEGER)
messages = st.one_of(
    st.builds(SyncStep1, st.binary(max_size=50)),
    st.builds(SyncStep2, st.binary(max_size=200)),
    st.builds(SyncUpdate, st.binary(max_size=200)),
    st.builds(AwarenessMessage, st.binary(max_size=100)),
    st.builds(AuthMessage, st.text(max_size=50)),
    st.just(QueryAwareness()),
    st.just(SubscribeSaved()),
    st.builds(SavedNotice, uints, uints),
)


@settings(max_examples=400)
@given(messages)
def test_roundtrip_every_message_type(message: Message) -> None:
    assert decode_message(encode_message(message)) == message


prefixes = st.sampled_from(
    [b"", b"\x00\x00", b"\x00\x01", b"\x00\x02", b"\x01", b"\x02\x00", b"\x64"]
)


@settings(max_examples=500)
@given(prefixes, st.binary(max_size=40))
def test_arbitrary_bytes_raise_only_protocol_error(prefix: bytes, tail: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_message(prefix + tail)
