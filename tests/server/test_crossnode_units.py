"""The bookkeeping behind documents served by several nodes: applied numbers, bus news."""

from __future__ import annotations

import pytest

from crdt.document import Validated
from server.documents.news import (
    AwarenessNews,
    BadNews,
    FreezeNews,
    FrozenNews,
    NumberedNews,
    UpdateNews,
    decode_news,
    encode_news,
)
from server.documents.numbering import AppliedNumbers


def test_numbers_in_order_extend_the_unbroken_run() -> None:
    numbers = AppliedNumbers(through=4)
    assert [numbers.mark(n) for n in (5, 6)] == [True, True]
    assert (numbers.through, numbers.highest, numbers.has_gap) == (6, 6, False)


def test_a_hole_is_seen_and_filling_it_joins_the_run() -> None:
    numbers = AppliedNumbers(through=2)
    numbers.mark(5)
    numbers.mark(4)
    assert (numbers.through, numbers.highest, numbers.has_gap) == (2, 5, True)
    assert numbers.missing() == [3]
    assert numbers.mark(3)
    assert (numbers.through, numbers.has_gap, numbers.missing()) == (5, False, [])


def test_a_number_applied_twice_is_reported() -> None:
    numbers = AppliedNumbers(through=3)
    numbers.mark(7)
    assert not numbers.mark(2)
    assert not numbers.mark(7)
    assert numbers.holds(7)
    assert not numbers.holds(6)


@pytest.mark.parametrize(
    "news",
    [
        UpdateNews(2**40 + 3, b"\x01\x02"),
        UpdateNews(5, b"\x01\x02", Validated(3, 2**40 + 9)),
        UpdateNews(6, b"\x01", Validated(0, None)),
        NumberedNews(7, 2**40 + 3),
        AwarenessNews("Ана 🗳️".encode()),
    ],
)
def test_news_survive_the_bus(news: UpdateNews | NumberedNews | AwarenessNews) -> None:
    assert decode_news(encode_news(news)) == news


@pytest.mark.parametrize(
    "data", [b"", b"U\x00\x00", b"N\x00", b"A", b"X123456789", b"V" + bytes(24)]
)
def test_other_bytes_are_not_news(data: bytes) -> None:
    with pytest.raises(BadNews):
        decode_news(data)


@pytest.mark.parametrize(
    "news",
    [
        FreezeNews(b"r" * 16, freeze=True),
        FreezeNews(b"s" * 16, freeze=False),
        FrozenNews(b"t" * 16),
    ],
)
def test_freeze_news_survive_the_bus(news: FreezeNews | FrozenNews) -> None:
    assert decode_news(encode_news(news)) == news
