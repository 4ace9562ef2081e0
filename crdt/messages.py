"""y-websocket messages (y-protocols 1.x), one message per frame.

=====================  ====  ==============================================================
message                type  payload
=====================  ====  ==============================================================
sync step 1            0     varUint 0, varUint8Array state vector
sync step 2            0     varUint 1, varUint8Array update
sync update            0     varUint 2, varUint8Array update
awareness              1     varUint8Array awareness update
auth permission denied 2     varUint 0, varString reason
query awareness        3     (none)
subscribe saved        100   (none) -- Veche extension, client to server
saved notice           100   varUint acknowledged, varUint seq -- Veche extension
=====================  ====  ==============================================================

Decoding is strict: a frame holds exactly one message, and trailing bytes are an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TypeAlias

from .errors import ProtocolError, UnsupportedMessageError
from .lib0 import Decoder, Encoder

__all__ = [
    "AuthMessage",
    "AwarenessMessage",
    "Message",
    "MessageType",
    "QueryAwareness",
    "SavedNotice",
    "SubscribeSaved",
    "SyncMessageType",
    "SyncStep1",
    "SyncStep2",
    "SyncUpdate",
    "decode_message",
    "encode_message",
    "encode_update_frame",
    "permission_denied",
]


class MessageType(IntEnum):
    """Top-level message type (the first varUint of a frame)."""

    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3
    SAVED = 100


class SyncMessageType(IntEnum):
    """Sub-type of a SYNC message."""

    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


class _AuthType(IntEnum):
    PERMISSION_DENIED = 0


@dataclass(frozen=True, slots=True)
class SyncStep1:
    """Sync step 1: the sender's encoded state vector."""

    state_vector: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    """Sync step 2: the update the receiver of a step 1 is missing."""

    update: bytes


@dataclass(frozen=True, slots=True)
class SyncUpdate:
    """An incremental document update."""

    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessMessage:
    """An awareness update, kept raw (see :mod:`crdt.awareness` to decode it)."""

    update: bytes


@dataclass(frozen=True, slots=True)
class AuthMessage:
    """y-protocols auth message: permission denied, with a reason."""

    permission_denied_reason: str


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    """Ask the peer for every awareness state it knows."""


@dataclass(frozen=True, slots=True)
class SavedNotice:
    """Veche extension (server to client): the writer's updates up to ``seq`` are durable.

    ``acknowledged`` counts the writer's updates made durable by this notice.
    """

    acknowledged: int
    seq: int


@dataclass(frozen=True, slots=True)
class SubscribeSaved:
    """Veche extension (client to server): opt in to :class:`SavedNotice` messages."""


Message: TypeAlias = (
    SyncStep1
    | SyncStep2
    | SyncUpdate
    | AwarenessMessage
    | AuthMessage
    | QueryAwareness
    | SavedNotice
    | SubscribeSaved
)

_SYNC_CLASSES: dict[int, type[SyncStep1 | SyncStep2 | SyncUpdate]] = {
    SyncMessageType.STEP1: SyncStep1,
    SyncMessageType.STEP2: SyncStep2,
    SyncMessageType.UPDATE: SyncUpdate,
}


_UPDATE_PREFIX = bytes((MessageType.SYNC, SyncMessageType.UPDATE))


def encode_message(message: Message) -> bytes:
    """Encode one message as a frame.

    Raises:
        ValueError: an integer field is out of the varUint range.
    """
    enc = Encoder()
    if isinstance(message, SyncStep1):
        enc.write_var_uint(MessageType.SYNC)
        enc.write_var_uint(SyncMessageType.STEP1)
        enc.write_var_uint8_array(message.state_vector)
    elif isinstance(message, SyncStep2):
        enc.write_var_uint(MessageType.SYNC)
        enc.write_var_uint(SyncMessageType.STEP2)
        enc.write_var_uint8_array(message.update)
    elif isinstance(message, SyncUpdate):
        return encode_update_frame(message.update)
    elif isinstance(message, AwarenessMessage):
        enc.write_var_uint(MessageType.AWARENESS)
        enc.write_var_uint8_array(message.update)
    elif isinstance(message, AuthMessage):
        return permission_denied(message.permission_denied_reason)
    elif isinstance(message, QueryAwareness):
        enc.write_var_uint(MessageType.QUERY_AWARENESS)
    elif isinstance(message, SavedNotice):
        enc.write_var_uint(MessageType.SAVED)
        enc.write_var_uint(message.acknowledged)
        enc.write_var_uint(message.seq)
    elif isinstance(message, SubscribeSaved):
        enc.write_var_uint(MessageType.SAVED)
    else:  # pragma: no cover - exhaustive
        raise TypeError(f"not a message: {message!r}")
    return enc.to_bytes()


def encode_update_frame(update: bytes) -> bytes:
    """Encode a SYNC/UPDATE frame carrying ``update`` (the relay fast path)."""
    size = len(update)
    if size < 0x80:  # one-byte length: skip the encoder on the hot path
        return _UPDATE_PREFIX + bytes((size,)) + update
    enc = Encoder()
    enc.write_bytes(_UPDATE_PREFIX)
    enc.write_var_uint8_array(update)
    return enc.to_bytes()


def permission_denied(reason: str) -> bytes:
    """Encode an auth permission-denied message with ``reason``."""
    enc = Encoder()
    enc.write_var_uint(MessageType.AUTH)
    enc.write_var_uint(_AuthType.PERMISSION_DENIED)
    enc.write_var_string(reason)
    return enc.to_bytes()


def decode_message(frame: bytes) -> Message:
    """Decode a frame holding exactly one message.

    Update and awareness payloads are returned as they are, not validated.

    Raises:
        UnsupportedMessageError: unknown message type, sync sub-type or auth sub-type.
        ProtocolError: truncated frame, trailing bytes, out-of-range integer, invalid UTF-8.
    """
    dec = Decoder(frame)
    kind = dec.read_var_uint()
    message: Message
    if kind == MessageType.SYNC:
        sub = dec.read_var_uint()
        cls = _SYNC_CLASSES.get(sub)
        if cls is None:
            raise UnsupportedMessageError(f"unknown sync message type {sub}")
        message = cls(dec.read_var_uint8_array())
    elif kind == MessageType.AWARENESS:
        message = AwarenessMessage(dec.read_var_uint8_array())
    elif kind == MessageType.AUTH:
        sub = dec.read_var_uint()
        if sub != _AuthType.PERMISSION_DENIED:
            raise UnsupportedMessageError(f"unknown auth message type {sub}")
        message = AuthMessage(dec.read_var_string())
    elif kind == MessageType.QUERY_AWARENESS:
        message = QueryAwareness()
    elif kind == MessageType.SAVED:
        if not dec.has_content():
            return SubscribeSaved()
        message = SavedNotice(dec.read_var_uint(), dec.read_var_uint())
    else:
        raise UnsupportedMessageError(f"unknown message type {kind}")
    if dec.has_content():
        raise ProtocolError(f"{len(frame) - dec.position} trailing bytes after the message")
    return message
