"""Hypothesis strategies: seeds and their mutations, and hostile JSON values.

Mutations are the classic ones of a byte fuzzer (flip, insert, delete, truncate, splice,
duplicate, "interesting" varUint bytes), drawn through Hypothesis so that a failure shrinks
to a small input and prints as a reproducer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

# Bytes that sit on the edges of lib0's varUint/varInt and of UTF-8.
_INTERESTING = (
    b"\x00",
    b"\x7f",
    b"\x80",
    b"\xff",
    b"\xff\xff\xff\xff\xff\xff\xff\x0f",  # 2**53-ish: the largest safe varUint and beyond
    b"\xff" * 10,  # a varUint that never ends within range
    b"\xc0",  # a varInt with the sign and continuation bits
    b"\xed\xa0\x80",  # a UTF-8 encoded surrogate (invalid UTF-8)
    b"\xf4\x90\x80\x80",  # above U+10FFFF (invalid UTF-8)
)


def mutate(data: bytes, tape: bytes, others: Sequence[bytes]) -> bytes:
    """``data`` after the mutations the bytes of ``tape`` spell, four bytes an operation:
    which one, where (two bytes) and an argument. A tape of zeros leaves one byte flipped."""
    out = bytearray(data)
    for i in range(0, len(tape) - 3, 4):
        op, hi, lo, arg = tape[i : i + 4]
        pos = ((hi << 8) | lo) % (len(out) + 1)
        op %= 8
        if op == 0 and pos < len(out):
            out[pos] ^= arg or 1
        elif op == 1:
            out[pos:pos] = tape[i + 4 : i + 4 + 1 + arg % 8]
        elif op == 2:
            del out[pos : pos + 1 + arg % 16]
        elif op == 3:
            del out[pos:]
        elif op == 4:
            out[pos : pos + arg % 3] = _INTERESTING[arg % len(_INTERESTING)]
        elif op == 5:
            other = others[arg % len(others)]
            start = pos % (len(other) + 1)
            out[pos:pos] = other[start : start + 1 + (hi ^ lo) % 64]
        elif op == 6:
            out[pos:pos] = out[pos : pos + 1 + arg % 32]
        elif pos < len(out):
            out[pos] = arg
    return bytes(out)


def mutated(seeds: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """A seed after 1 to 8 mutations (some splice in parts of other seeds). The mutations
    are spelt by one drawn byte string, which keeps Hypothesis' cost per input low and still
    shrinks (towards fewer and simpler mutations)."""
    return st.builds(
        lambda seed, tape: mutate(seed, tape, seeds),
        st.sampled_from(seeds),
        st.binary(min_size=4, max_size=32),
    )


def bytes_inputs(seeds: Sequence[bytes], max_size: int = 200) -> st.SearchStrategy[bytes]:
    """Seeds as they are, their mutations, and arbitrary bytes."""
    return st.one_of(
        st.sampled_from(seeds),
        mutated(seeds),
        mutated(seeds),  # twice the weight: mutations find the most
        mutated(seeds),
        st.binary(max_size=max_size),
    )


# -- JSON ----------------------------------------------------------------------------------

# Integers a parser must survive: int64 and JS-safe edges, and far beyond (a 5,000-digit
# number is refused by Python's int-from-text limit with a bare ValueError).
_EDGE_INTS = (0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30)
_HUGE_INTS = ("1" + "0" * 4299, "9" * 5000, "-" + "9" * 4301)  # as text: int() refuses them
_EDGE_FLOATS = (1e308, -0.0, 5e-324, 1.5)
_EDGE_TEXT = ("", " ", "\x00", "\ud800", "\udfff\ud800", "‮", "🗳️" * 40, "x" * 300, "Вече")


def hostile_text() -> st.SearchStrategy[str]:
    """Strings including lone surrogates (as a JSON \\u escape can produce) and controls."""
    return st.one_of(
        st.sampled_from(_EDGE_TEXT),
        st.text(max_size=20),
        st.text(st.characters(codec=None, exclude_categories=()), max_size=8),
    )


def _scalars(keys: Sequence[str], enums: Sequence[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from(_EDGE_INTS),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(_EDGE_FLOATS),
        hostile_text(),
        st.sampled_from([*keys, *enums]),
    )


def json_values(keys: Sequence[str], enums: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    """JSON values whose object keys come mostly from ``keys`` (the fields the endpoint
    reads), with wrong types, edge numbers and hostile strings. What breaks a JSON parser's
    own limits (deep nesting, very long integers) is only expressible as text: see
    :func:`json_texts`."""
    key = st.one_of(st.sampled_from(keys), hostile_text())
    return st.recursive(
        _scalars(keys, enums),
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(key, children, max_size=3)
        ),
        max_leaves=6,
    )


def json_objects(keys: Sequence[str], enums: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    """Objects with the endpoint's fields (most of the time) and any JSON value otherwise."""
    value = json_values(keys, enums)
    fields = st.dictionaries(st.sampled_from(keys), value, max_size=4)
    return st.one_of(fields, fields, value)


@st.composite
def edited(draw: st.DrawFn, seeds: Sequence[Any], values: st.SearchStrategy[Any]) -> Any:
    """A valid JSON object (a seed) with 1 to 3 fields set to a drawn value or removed: what
    reaches the checks behind the first one a random object fails."""
    value = draw(st.sampled_from(seeds))
    if not isinstance(value, dict):
        return value
    changed = dict(value)
    for _ in range(draw(st.integers(1, 3))):
        if len(changed) > 0 and draw(st.integers(0, 3)) == 0:
            del changed[draw(st.sampled_from(sorted(changed)))]
            continue
        if len(changed) > 0 and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(changed)))
        else:
            key = draw(st.one_of(st.sampled_from(sorted(value) or ["x"]), hostile_text()))
        changed[key] = draw(values)
    return changed


def dumps(value: Any) -> str:
    """JSON text of ``value``, keeping lone surrogates as \\u escapes (as a client may)."""
    return json.dumps(value, ensure_ascii=True)


def _deep(depth: int, opener: str) -> str:
    if opener == "{":
        return '{"a":' * depth + "1" + "}" * depth
    return "[" * depth + "1" + "]" * depth


def json_texts(
    objects: st.SearchStrategy[Any],
    values: st.SearchStrategy[Any],
    seeds: Sequence[str],
    limits: bool = True,
) -> st.SearchStrategy[str]:
    """JSON text: ``objects``; ``seeds`` (valid JSON objects) with fields set to ``values``
    or removed (three times the weight); the seeds as they are and mutated; and, with
    ``limits``, what goes past a JSON parser's own limits: deep nesting and integers of
    thousands of digits. (Sub-strategies are built once here: building one per draw would
    cost more than the input's check.)"""
    edits = edited([json.loads(s) for s in seeds], values).map(dumps)
    options = [
        objects.map(dumps),
        edits,
        edits,
        edits,
        mutated([s.encode() for s in seeds]).map(lambda b: b.decode("utf-8", "replace")),
        st.sampled_from(seeds),
    ]
    if limits:
        options += [
            st.builds(_deep, st.sampled_from([50, 1_000, 20_000]), st.sampled_from("[{")),
            st.builds(_replace_first_number, st.sampled_from(seeds), st.sampled_from(_HUGE_INTS)),
            st.text(max_size=40),
        ]
    return st.one_of(options)


def _replace_first_number(template: str, number: str) -> str:
    """``template`` with its first JSON number replaced by ``number`` (or wrapped in one)."""
    for i, char in enumerate(template):
        if char.isdigit():
            end = i
            while end < len(template) and template[end].isdigit():
                end += 1
            return template[:i] + number + template[end:]
    return "[" + number + "]"
