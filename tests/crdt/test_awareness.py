from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.awareness import (
    AwarenessEntry,
    AwarenessRegistry,
    decode_awareness_update,
    encode_awareness_update,
)
from crdt.errors import ProtocolError
from crdt.lib0 import MAX_SAFE_INTEGER

STATE = '{"user":{"name":"Иван","color":"#c00"}}'


def entry(client_id: int, clock: int, state: str = STATE) -> AwarenessEntry:
    return AwarenessEntry(client_id, clock, state)


def test_known_bytes() -> None:
    payload = encode_awareness_update([entry(1, 2), entry(300, 0, "null")])
    state = STATE.encode()
    assert payload == b"\x02\x01\x02" + bytes([len(state)]) + state + b"\xac\x02\x00\x04null"
    assert decode_awareness_update(payload) == [entry(1, 2), entry(300, 0, "null")]


def test_removed_flag_and_null_normalisation() -> None:
    assert entry(1, 1, "null").removed
    assert not entry(1, 1, "{}").removed
    payload = encode_awareness_update([entry(1, 1, " null ")])
    assert decode_awareness_update(payload) == [entry(1, 1, "null")]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x01\x01\x01",  # truncated
        b"\x01\x01\x01\x03{x}",  # not JSON
        b"\x01\x01\x01\x03NaN",  # not JSON either (Python would accept it)
        b"\x01\x01\x01\x02{}\x00",  # trailing byte
        b"\x05\x01\x01\x02{}",  # count larger than the entries
        b"\x01\x01\x01" + bytes([200]) + b"[" * 100 + b"]" * 100,
    ],
)
def test_malformed_updates(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_awareness_update(payload)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
entries = st.builds(
    AwarenessEntry,
    st.integers(0, MAX_SAFE_INTEGER),
    st.integers(0, MAX_SAFE_INTEGER),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
)


@settings(max_examples=200)
@given(st.lists(entries, max_size=5))
def test_roundtrip(items: list[AwarenessEntry]) -> None:
    assert decode_awareness_update(encode_awareness_update(items)) == items


@settings(max_examples=300)
@given(st.binary(max_size=60))
def test_arbitrary_bytes_raise_only_protocol_error(payload: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_awareness_update(payload)


class TestRegistry:
    def test_first_owner_owns_a_client_id(self) -> None:
        reg = AwarenessRegistry()
        assert reg.apply("conn-a", [entry(1, 1)], now=0.0) == [entry(1, 1)]
        assert reg.apply("conn-b", [entry(1, 5, '{"spoof":true}')], now=0.0) == []
        assert reg.owned_by("conn-a") == frozenset({1})
        assert reg.owned_by("conn-b") == frozenset()
        assert reg.states() == [entry(1, 1)]

    def test_clock_rules(self) -> None:
        reg = AwarenessRegistry()
        reg.apply("a", [entry(1, 3)], now=0.0)
        assert reg.apply("a", [entry(1, 3, "{}")], now=1.0) == []  # same clock, not removal
        assert reg.apply("a", [entry(1, 2, "{}")], now=1.0) == []  # older
        assert reg.apply("a", [entry(1, 4, "{}")], now=1.0) == [entry(1, 4, "{}")]
        assert reg.apply("a", [entry(1, 4, "null")], now=1.0) == [entry(1, 4, "null")]
        assert reg.apply("a", [entry(1, 4, "null")], now=1.0) == []  # already removed
        assert len(reg) == 0
        assert reg.owned_by("a") == frozenset({1})  # ownership and clock kept
        assert reg.apply("a", [entry(1, 4, "{}")], now=1.0) == []
        assert reg.apply("a", [entry(1, 5, "{}")], now=1.0) == [entry(1, 5, "{}")]

    def test_unknown_client_accepted_at_any_clock_but_not_removal(self) -> None:
        reg = AwarenessRegistry()
        assert reg.apply("a", [entry(9, 0, "null")], now=0.0) == []
        assert reg.owned_by("a") == frozenset()
        assert reg.apply("a", [entry(9, 0, "{}")], now=0.0) == [entry(9, 0, "{}")]

    def test_accepted_entries_keep_their_order(self) -> None:
        reg = AwarenessRegistry()
        reg.apply("b", [entry(2, 1)], now=0.0)
        got = reg.apply("a", [entry(3, 1), entry(2, 9), entry(1, 1)], now=0.0)
        assert got == [entry(3, 1), entry(1, 1)]

    def test_owner_leaving_removes_its_live_states(self) -> None:
        reg = AwarenessRegistry()
        reg.apply("a", [entry(1, 1), entry(2, 7), entry(3, 2)], now=0.0)
        reg.apply("a", [entry(3, 3, "null")], now=0.0)
        reg.apply("b", [entry(4, 1)], now=0.0)
        assert reg.remove_owner("a") == [entry(1, 2, "null"), entry(2, 8, "null")]
        assert reg.owned_by("a") == frozenset()
        assert reg.states() == [entry(4, 1)]
        assert reg.remove_owner("a") == []
        # the id is free again: a reconnecting client may claim it
        assert reg.apply("c", [entry(1, 3)], now=1.0) == [entry(1, 3)]

    def test_expiry_after_30_seconds_without_renewal(self) -> None:
        reg = AwarenessRegistry()
        assert AwarenessRegistry.OUTDATED_TIMEOUT == 30.0
        reg.apply("a", [entry(1, 1), entry(2, 1)], now=100.0)
        reg.apply("a", [entry(2, 2)], now=115.0)  # renewal
        assert reg.expire(now=129.9) == []
        assert reg.expire(now=130.0) == [entry(1, 1, "null")]
        assert reg.states() == [entry(2, 2)]
        assert reg.expire(now=144.9) == []
        assert reg.expire(now=145.0) == [entry(2, 2, "null")]
        assert len(reg) == 0
        assert reg.expire(now=1000.0) == []
        # the client comes back with its next clock
        assert reg.apply("a", [entry(1, 2)], now=1000.0) == [entry(1, 2)]


def test_an_owner_owns_a_bounded_number_of_client_ids() -> None:
    registry = AwarenessRegistry(max_clients_per_owner=3)
    flood = [entry(client_id, 1) for client_id in range(1, 1001)]
    assert registry.apply("flooder", flood, now=0.0) == flood[:3]
    assert registry.owned_by("flooder") == {1, 2, 3}
    # removing its states does not free slots for new ids: ownership lasts until it leaves
    removals = [entry(client_id, 2, "null") for client_id in (1, 2, 3)]
    assert registry.apply("flooder", removals, now=0.0) == removals
    assert registry.apply("flooder", [entry(4, 1)], now=0.0) == []
    assert registry.apply("other", [entry(4, 1)], now=0.0) == [entry(4, 1)]
    registry.remove_owner("flooder")
    assert registry.apply("flooder", [entry(5, 1)], now=0.0) == [entry(5, 1)]


def test_a_state_over_the_byte_bound_is_ignored() -> None:
    registry = AwarenessRegistry(max_state_bytes=64)
    small = entry(1, 1, json.dumps({"name": "Я" * 20}, ensure_ascii=False))  # 40 + 12 bytes
    large = entry(1, 2, json.dumps({"name": "Я" * 30}, ensure_ascii=False))  # 60 + 12 bytes
    assert registry.apply("a", [small], now=0.0) == [small]
    assert registry.apply("a", [large], now=0.0) == []
    assert registry.states() == [small]
    assert registry.state_too_large(large)
    assert not registry.state_too_large(small)


def test_owner_of_tells_whose_client_id_it_is() -> None:
    registry = AwarenessRegistry()
    registry.apply("a", [entry(1, 1)], now=0.0)
    assert registry.owner_of(1) == "a"
    assert registry.owner_of(2) is None
