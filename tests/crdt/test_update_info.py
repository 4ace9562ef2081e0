from __future__ import annotations

import contextlib
from typing import Any

import pycrdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crdt.errors import UpdateError
from crdt.lib0 import Decoder
from crdt.update_info import RootType, summarize_update
from tests.crdt.helpers import pycrdt_sample, text_updates

INSERT_A = b"\x01\x01\x01\x00\x04\x01\x07content\x01a\x00"


def decode_state_vector(sv: bytes) -> dict[int, int]:
    dec = Decoder(sv)
    return {dec.read_var_uint(): dec.read_var_uint() for _ in range(dec.read_var_uint())}


def test_hand_built_update() -> None:
    summary = summarize_update(INSERT_A)
    assert summary.clients == {1: (0, 1)}
    assert summary.deleted == {}
    assert summary.root_types == {"content": RootType.TEXT}
    assert summary.primary_client == 1
    assert not summary.is_empty


def test_empty_update() -> None:
    summary = summarize_update(b"\x00\x00")
    assert summary.is_empty
    assert summary.primary_client is None
    assert summary.root_types == {}


def test_sample_document_root_types_and_clocks() -> None:
    update = pycrdt_sample(client_id=11)
    summary = summarize_update(update)
    assert summary.root_types == {
        "content": RootType.TEXT,
        "meta": RootType.MAP,
        "items": RootType.ARRAY,
        "body": RootType.XML_FRAGMENT,
    }
    doc: pycrdt.Doc[Any] = pycrdt.Doc()
    doc.apply_update(update)
    # clock lengths count UTF-16 code units, as Yjs does (emoji are two)
    assert {c: end for c, (_, end) in summary.clients.items()} == decode_state_vector(
        doc.get_state()
    )
    assert summary.primary_client == 11
    assert summary.type_ids  # the nested map, text, array and xml nodes


def test_delete_only_update() -> None:
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=5)
    text = doc.get("t", type=pycrdt.Text)
    text += "abc"
    before = doc.get_state()
    del text[0:2]
    summary = summarize_update(doc.get_update(before))
    assert summary.clients == {}
    assert summary.deleted == {5: [(0, 2)]}
    assert summary.primary_client is None
    assert not summary.is_empty


def test_root_inferred_through_origins_when_the_first_item_is_deleted() -> None:
    # "b" names the root; "a" is inserted before it (right origin only) and "b" deleted:
    # only deleted content names the root directly.
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=3)
    text = doc.get("t", type=pycrdt.Text)
    text += "b"
    text.insert(0, "a")
    del text[1]
    assert summarize_update(doc.get_update()).root_types == {"t": RootType.TEXT}


def test_map_overwrites_and_deleted_roots() -> None:
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=4)
    meta = doc.get("m", type=pycrdt.Map)
    meta["k"] = 1
    meta["k"] = 2
    text = doc.get("gone", type=pycrdt.Text)
    text += "x"
    del text[0]
    roots = summarize_update(doc.get_update()).root_types
    assert roots == {"m": RootType.MAP, "gone": RootType.UNKNOWN}


@pytest.mark.parametrize(
    "update",
    [
        b"",
        b"\x00",
        INSERT_A[:-1],
        INSERT_A + b"\x00",  # trailing byte
        b"\x01\x01\x01\x00\x0b\x00\x00",  # content kind 11 does not exist
        b"\x01\x01\x01\x00\x07\x01\x01t\x09\x00",  # type ref 9 does not exist
        b"\x01\x01\x01\x00\x05\x01\x01t\x03{x}\x00",  # embed that is not JSON
        b"\x01\x01\x01\x05\x84\x01\x07\x01a\x00",  # origin in its own client's future
    ],
)
def test_malformed_updates(update: bytes) -> None:
    with pytest.raises(UpdateError):
        summarize_update(update)


CORPUS = [*text_updates(), pycrdt_sample()]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=80))
def test_arbitrary_bytes_raise_only_update_error(update: bytes) -> None:
    with contextlib.suppress(UpdateError):
        summarize_update(update)


@st.composite
def mutated_updates(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["set", "insert", "delete", "cut"]))
        if kind == "set" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            data.insert(pos, draw(st.integers(0, 255)))
        elif kind == "delete" and pos < len(data):
            del data[pos]
        else:
            del data[pos:]
    return bytes(data)


@settings(max_examples=300)
@given(mutated_updates())
def test_mutated_updates_raise_only_update_error(update: bytes) -> None:
    with contextlib.suppress(UpdateError):
        summarize_update(update)
