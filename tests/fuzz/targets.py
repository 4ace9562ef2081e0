"""The database-less fuzz targets: y-websocket frames, sync sessions, awareness, Yjs updates
and live-room command frames.

A target returns normally when the code under test behaved: it accepted the input and what
it made of it is consistent, or it refused it with the documented error (the crdt package's
`ProtocolError` family; `LiveError` on /live/) and changed nothing. Any other exception, or a
`FuzzFailure` raised here, is a finding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from jsonschema.protocols import Validator

from crdt.awareness import AwarenessRegistry, decode_awareness_update, encode_awareness_update
from crdt.backends._common import parse_state_vector
from crdt.document import Document, load_backend
from crdt.errors import ProtocolError
from crdt.messages import SyncUpdate, decode_message, encode_message
from crdt.session import (
    AwarenessReceived,
    Role,
    SyncSession,
    UpdateApplied,
    WriteDenied,
)
from server.live.protocol import Command, LiveError, parse
from server.settings import Settings
from tests.fuzz import seeds

INT64 = range(-(2**63), 2**63)


class FuzzFailure(AssertionError):
    """The code under test accepted or refused an input in a way it must not."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise FuzzFailure(message)


# -- y-websocket frames ---------------------------------------------------------------------


def decode_frame(frame: bytes) -> None:
    """A frame decodes to one message that encodes back to an equal message, or is refused
    with ProtocolError."""
    try:
        message = decode_message(frame)
    except ProtocolError:
        return
    again = decode_message(encode_message(message))
    _check(again == message, f"{message!r} encodes back as {again!r}")


# -- documents ------------------------------------------------------------------------------


@cache
def _base_state(backend: str) -> bytes:
    doc = load_backend(backend).new_document()
    for update in seeds.updates()[:3]:
        doc.apply_update(update)
    return doc.encode_state()


def _document(backend: str) -> Document:
    """A document holding real content (text, map, array, XML), loaded from its state."""
    doc = load_backend(backend).new_document()
    doc.restore(_base_state(backend))
    return doc


def _snapshot(doc: Document) -> tuple[bytes, bytes]:
    return doc.state_vector(), doc.encode_state()


def apply_update(update: bytes, backend: str = "pycrdt") -> None:
    """A Yjs update is applied whole (the document then renders as JSON and its state loads
    into a fresh document) or refused with UpdateError and the document is unchanged."""
    doc = _document(backend)
    before = _snapshot(doc)
    try:
        doc.apply_update(update)
    except ProtocolError:
        _check(_snapshot(doc) == before, "a refused update changed the document")
        return
    json.dumps(doc.render())
    copy = load_backend(backend).new_document()
    copy.apply_update(doc.encode_state())
    loaded = parse_state_vector(copy.state_vector())
    _check(loaded == parse_state_vector(doc.state_vector()), "the state does not load back")


# -- sync sessions --------------------------------------------------------------------------


def _frames_in(session: SyncSession) -> Iterator[bytes]:
    for frame in session.data_to_send():
        decode_message(frame)  # what a session sends must decode: ProtocolError is a finding
        yield frame


def sync_session(frames: Sequence[bytes], role: str = "server", writable: bool = True) -> None:
    """A session fed frames one by one: each is handled or refused with ProtocolError
    leaving the document as it was; the frames it queues decode; an applied update's relay
    frame carries that update; a read-only server session applies nothing."""
    doc = _document("pycrdt")
    session = SyncSession(doc, Role(role), writable=writable)
    session.start()
    list(_frames_in(session))
    for frame in frames:
        before = _snapshot(doc)
        try:
            events = session.receive(frame)
        except ProtocolError:
            _check(_snapshot(doc) == before, "a refused frame changed the document")
            continue
        for event in events:
            if isinstance(event, UpdateApplied):
                relayed = decode_message(event.relay_frame)
                _check(relayed == SyncUpdate(event.update), "relay frame differs from update")
            if isinstance(event, AwarenessReceived):
                decode_message(event.frame)
        if role == "server" and not writable:
            _check(_snapshot(doc) == before, "a read-only session applied an update")
            _check(not any(isinstance(e, UpdateApplied) for e in events), "read-only write")
        elif any(isinstance(e, WriteDenied) for e in events):
            raise FuzzFailure("a writable session denied a write")
        list(_frames_in(session))


# -- awareness ------------------------------------------------------------------------------


def awareness(payloads: Sequence[bytes]) -> None:
    """Awareness updates from two connections: each decodes (and encodes back to the same
    entries) or is refused with ProtocolError; the registry relays only entries it holds,
    keeps one owner per client id, and forgets an owner's ids when it leaves."""
    registry = AwarenessRegistry()
    owners = ("a", "b")
    for i, payload in enumerate(payloads):
        try:
            entries = decode_awareness_update(payload)
        except ProtocolError:
            continue
        _check(decode_awareness_update(encode_awareness_update(entries)) == entries, "round")
        for entry in entries:
            json.loads(entry.state_json)
        owner = owners[i % 2]
        accepted = registry.apply(owner, entries, now=float(i))
        _check(all(e in entries for e in accepted), "accepted an entry that was not sent")
        _check(not (registry.owned_by("a") & registry.owned_by("b")), "a client id has 2 owners")
        live = registry.states()
        _check(len(registry) == len(live), "len() disagrees with states()")
        encode_awareness_update(live)
    for owner in owners:
        owned = registry.owned_by(owner)
        removals = registry.remove_owner(owner)
        _check({r.client_id for r in removals} <= owned, "removed ids the owner did not own")
        _check(all(r.removed for r in removals), "a removal that is not a removal")
    _check(len(registry) == 0 and registry.states() == [], "states outlive their owners")


# -- live-room commands ---------------------------------------------------------------------


@cache
def live_validators() -> dict[str, Validator]:
    import server.live.service  # noqa: F401  (registers every command)
    from server.live.commands import REGISTRY

    return {name: spec.validator for name, spec in REGISTRY.items()}


MAX_LIVE_FRAME = Settings().max_live_frame_bytes


def _values(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)


def live_frame(frame: str) -> Command | None:
    """A text frame parses into a command of a known type that its schema accepts, or is
    refused with LiveError."""
    validators = live_validators()
    try:
        command = parse(frame, MAX_LIVE_FRAME, validators)
    except LiveError:
        return None
    _check(command.type in validators, f"unknown type {command.type!r} accepted")
    whole = {"type": command.type, **command.fields}
    if command.ref is not None:
        whole["ref"] = command.ref
    _check(validators[command.type].is_valid(whole), "a command its schema refuses")
    return command


def live_frame_storable(frame: str) -> None:
    """`live_frame`, and what a parsed command carries can be stored and relayed: its
    integers fit in a 64-bit column and its strings are valid Unicode (encodable as UTF-8,
    which a JSON \\ud800 escape is not)."""
    command = live_frame(frame)
    if command is None:
        return
    for value in _values(command.fields):
        if isinstance(value, int) and not isinstance(value, bool):
            _check(value in INT64, f"{command.type}: integer {value} does not fit in 64 bits")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise FuzzFailure(f"{command.type}: a string with a lone surrogate") from None
