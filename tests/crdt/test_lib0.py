from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.errors import ProtocolError
from crdt.lib0 import MAX_SAFE_INTEGER, UNDEFINED, Decoder, Encoder


def encoded(write: Callable[[Encoder], None]) -> bytes:
    enc = Encoder()
    write(enc)
    return enc.to_bytes()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (300, b"\xac\x02"),
        (16384, b"\x80\x80\x01"),
        (2**32, b"\x80\x80\x80\x80\x10"),
        (MAX_SAFE_INTEGER, b"\xff\xff\xff\xff\xff\xff\xff\x0f"),
    ],
)
def test_var_uint_vectors(value: int, expected: bytes) -> None:
    assert encoded(lambda e: e.write_var_uint(value)) == expected
    assert Decoder(expected).read_var_uint() == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (-1, b"\x41"),
        (63, b"\x3f"),
        (-63, b"\x7f"),
        (64, b"\x80\x01"),
        (-64, b"\xc0\x01"),
        (300, b"\xac\x04"),
        (-(2**31), b"\xc0\x80\x80\x80\x10"),
    ],
)
def test_var_int_vectors(value: int, expected: bytes) -> None:
    assert encoded(lambda e: e.write_var_int(value)) == expected
    assert Decoder(expected).read_var_int() == value


def test_var_string_length_is_utf8_bytes() -> None:
    data = encoded(lambda e: e.write_var_string("Проект 🗳"))
    assert data[0] == len("Проект 🗳".encode()) == 17
    assert Decoder(data).read_var_string() == "Проект 🗳"


def test_lone_surrogates_are_written_as_js_text_encoder_does() -> None:
    assert encoded(lambda e: e.write_var_string("a\ud800")) == b"\x04a\xef\xbf\xbd"
    paired = "\ud83d\uddf3"  # a surrogate pair held as two code points
    assert encoded(lambda e: e.write_var_string(paired)) == b"\x04" + "🗳".encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, b"\x7e"),
        (UNDEFINED, b"\x7f"),
        (True, b"\x78"),
        (False, b"\x79"),
        (1, b"\x7d\x01"),
        (-1, b"\x7d\x41"),
        (1.0, b"\x7d\x01"),  # JS numbers that are 31-bit integers are varInts
        (-0.0, b"\x7d\x40"),
        (1.5, b"\x7c" + struct.pack(">f", 1.5)),
        (0.1, b"\x7b" + struct.pack(">d", 0.1)),
        (2**40, b"\x7a" + struct.pack(">q", 2**40)),
        ("Я", b"\x77\x02\xd0\xaf"),
        (b"\x01\x02", b"\x74\x02\x01\x02"),
        ([1, "a"], b"\x75\x02\x7d\x01\x77\x01a"),
        ({"k": None}, b"\x76\x01\x01k\x7e"),
    ],
)
def test_any_vectors(value: object, expected: bytes) -> None:
    assert encoded(lambda e: e.write_any(value)) == expected
    decoded = Decoder(expected).read_any()
    assert decoded == value or (decoded is UNDEFINED and value is UNDEFINED)


def test_decoder_reads_in_sequence_and_tracks_position() -> None:
    enc = Encoder()
    enc.write_uint8(7)
    enc.write_var_uint8_array(b"xy")
    enc.write_bytes(b"tail")
    dec = Decoder(enc.to_bytes())
    assert dec.read_uint8() == 7
    assert dec.read_var_uint8_array() == b"xy"
    assert dec.position == 4
    assert dec.has_content()
    assert dec.read_tail() == b"tail"
    assert not dec.has_content()


@pytest.mark.parametrize(
    ("data", "read"),
    [
        (b"", Decoder.read_uint8),
        (b"\x80", Decoder.read_var_uint),
        (b"\xff\xff\xff\xff\xff\xff\xff\x10", Decoder.read_var_uint),  # 2**53
        (b"\xc0", Decoder.read_var_int),
        (b"\x05abc", Decoder.read_var_uint8_array),
        (b"\x02\xc3\x28", Decoder.read_var_string),  # invalid UTF-8
        (b"\x73", Decoder.read_any),  # unknown tag
        (b"\x7b\x00", Decoder.read_any),  # truncated float64
        (b"\x75" * 300 + b"\x7e", Decoder.read_any),  # nested too deeply
        (b"\x75\xff\xff\x03", Decoder.read_any),  # count larger than the data
    ],
)
def test_bad_input_raises_protocol_error(data: bytes, read: Callable[[Decoder], object]) -> None:
    with pytest.raises(ProtocolError):
        read(Decoder(data))


@pytest.mark.parametrize(
    "write",
    [
        lambda e: e.write_var_uint(-1),
        lambda e: e.write_var_uint(MAX_SAFE_INTEGER + 1),
        lambda e: e.write_var_int(-(MAX_SAFE_INTEGER + 1)),
        lambda e: e.write_uint8(256),
        lambda e: e.write_any(2**64),
    ],
)
def test_out_of_range_values_are_refused_when_encoding(write: Callable[[Encoder], None]) -> None:
    with pytest.raises(ValueError, match=r"range|int64"):
        write(Encoder())


def test_unencodable_any_values_are_refused() -> None:
    with pytest.raises(TypeError):
        Encoder().write_any({1: "non-string key"})
    with pytest.raises(TypeError):
        Encoder().write_any(object())


any_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300)
@given(any_values)
def test_any_roundtrip(value: object) -> None:
    data = encoded(lambda e: e.write_any(value))
    dec = Decoder(data)
    assert dec.read_any() == value
    assert not dec.has_content()


@settings(max_examples=200)
@given(
    st.integers(0, MAX_SAFE_INTEGER),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.binary(max_size=40),
    st.text(max_size=40),
)
def test_scalar_roundtrip(uint: int, sint: int, blob: bytes, text: str) -> None:
    enc = Encoder()
    enc.write_var_uint(uint)
    enc.write_var_int(sint)
    enc.write_var_uint8_array(blob)
    enc.write_var_string(text)
    dec = Decoder(enc.to_bytes())
    assert (dec.read_var_uint(), dec.read_var_int()) == (uint, sint)
    assert (dec.read_var_uint8_array(), dec.read_var_string()) == (blob, text)
    assert not dec.has_content()


READS = [
    Decoder.read_uint8,
    Decoder.read_var_uint,
    Decoder.read_var_int,
    Decoder.read_var_uint8_array,
    Decoder.read_var_string,
    Decoder.read_any,
    Decoder.read_tail,
]


@settings(max_examples=400)
@given(st.binary(max_size=64), st.lists(st.sampled_from(READS), min_size=1, max_size=6))
def test_arbitrary_bytes_raise_only_protocol_error(
    data: bytes, reads: list[Callable[[Decoder], object]]
) -> None:
    dec = Decoder(data)
    with contextlib.suppress(ProtocolError):
        for read in reads:
            read(dec)
