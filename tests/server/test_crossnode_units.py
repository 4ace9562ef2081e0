"""The bookkeeping behind documents served by several nodes: applied numbers, bus news."""

from __future__ import annotations

import asyncio

import pytest

from crdt.document import Validated
from server.documents.news import (
    MAX_RUN,
    AwarenessNews,
    BadNews,
    DocumentNews,
    FreezeNews,
    FrozenNews,
    NumberedNews,
    NumberedRuns,
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
        NumberedNews(8, 2**40 + 4, 500),
        AwarenessNews("Ана 🗳️".encode()),
    ],
)
def test_news_survive_the_bus(news: UpdateNews | NumberedNews | AwarenessNews) -> None:
    assert decode_news(encode_news(news)) == news


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"U\x00\x00",
        b"N\x00",
        b"A",
        b"X123456789",
        b"V" + bytes(24),
        b"N" + bytes(24),  # a run of no numbers
        b"N" + bytes(16) + (MAX_RUN + 1).to_bytes(8, "big"),
    ],
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


def test_one_number_goes_as_nodes_of_the_version_before_read_it() -> None:
    assert encode_news(NumberedNews(7, 9)) == b"N" + (7).to_bytes(8, "big") + (9).to_bytes(8, "big")
    assert encode_news(NumberedNews(7, 9, 1)) == encode_news(NumberedNews(7, 9))


async def test_numbers_learnt_in_one_turn_are_told_in_runs_at_its_end() -> None:
    told: list[DocumentNews] = []
    runs = NumberedRuns(told.append)
    for local, seq in ((1, 10), (2, 11), (3, 12), (5, 13), (6, 14), (7, 20)):
        runs.add(local, seq)
    assert told == [NumberedNews(1, 10, 3), NumberedNews(5, 13, 2)]  # each told as it ended
    await asyncio.sleep(0)
    assert told[2:] == [NumberedNews(7, 20, 1)]  # the last one at the end of the turn
    runs.add(8, 21)
    runs.flush()  # other news of the document is about to go: the numbers go first
    await asyncio.sleep(0)
    assert told[3:] == [NumberedNews(8, 21, 1)]


async def test_a_run_is_told_before_it_grows_past_what_one_news_holds() -> None:
    told: list[DocumentNews] = []
    runs = NumberedRuns(told.append)
    for offset in range(MAX_RUN + 2):
        runs.add(1 + offset, 100 + offset)
    await asyncio.sleep(0)
    assert told == [NumberedNews(1, 100, MAX_RUN), NumberedNews(1 + MAX_RUN, 100 + MAX_RUN, 2)]
