from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pycrdt
import pytest

from storage.document_log import DocumentLog
from storage.errors import DocumentNotFound, UnknownDocument
from tests.storage.factories import checkpoint, update


async def test_ensure_document_creates_once(log: DocumentLog) -> None:
    assert await log.find_document("Пловдив/бюджет-2026") is None
    created = await log.ensure_document("Пловдив/бюджет-2026")
    again = await log.ensure_document("Пловдив/бюджет-2026")
    assert again == created
    assert await log.find_document("Пловдив/бюджет-2026") == created
    assert created.created_at.tzinfo is not None


async def test_ensure_document_is_safe_under_races(log: DocumentLog) -> None:
    documents = await asyncio.gather(*(log.ensure_document("Смолян") for _ in range(20)))
    assert len({d.id for d in documents}) == 1
    other = await log.ensure_document("Пловдив")
    assert other.id != documents[0].id


async def test_load_unknown_document_raises(log: DocumentLog) -> None:
    with pytest.raises(DocumentNotFound):
        await log.load("nowhere")


async def test_load_empty_document(log: DocumentLog) -> None:
    document = await log.ensure_document("empty")
    state = await log.load("empty")
    assert state.document == document
    assert (state.checkpoint, state.checkpoint_seq, state.updates, state.last_seq) == (
        None,
        0,
        [],
        0,
    )
    assert await log.last_seq(document.id) == 0


async def test_load_is_newest_checkpoint_plus_tail(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, seq) for seq in range(1, 11)], [checkpoint(doc, 4)])
    await log.append([], [checkpoint(doc, 7)])

    state = await log.load("d")
    assert state.checkpoint == b"state 1@7"
    assert state.checkpoint_seq == 7
    assert state.updates == [b"update 1/8", b"update 1/9", b"update 1/10"]
    assert state.last_seq == 10
    assert await log.last_seq(doc) == 10


async def test_load_upto_seq(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append(
        [update(doc, seq) for seq in range(1, 11)], [checkpoint(doc, 4), checkpoint(doc, 7)]
    )
    cases = [(3, 0, [1, 2, 3]), (4, 4, []), (6, 4, [5, 6]), (7, 7, []), (9, 7, [8, 9])]
    for upto, checkpoint_seq, tail in cases:
        state = await log.load("d", upto_seq=upto)
        assert state.checkpoint_seq == checkpoint_seq, upto
        assert state.updates == [f"update {doc}/{seq}".encode() for seq in tail], upto
        assert state.last_seq == upto


async def test_checkpointing_never_deletes_updates(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, seq) for seq in range(1, 101)])
    for seq in (25, 50, 100):
        await log.append([], [checkpoint(doc, seq)])
    assert await log.update_count(doc) == 100
    assert await log.checkpoint_count(doc) == 3
    assert await log.list_checkpoints(doc) == [25, 50, 100]
    state = await log.load("d")
    assert (state.checkpoint_seq, state.updates, state.last_seq) == (100, [], 100)
    assert len(await log.read_updates(doc)) == 100


async def test_a_checkpoint_already_stored_is_kept(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, 1)], [checkpoint(doc, 1, b"first")])
    await log.append([], [checkpoint(doc, 1, b"second")])
    assert (await log.load("d")).checkpoint == b"first"


async def test_append_is_all_or_nothing(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, 1)])
    with pytest.raises(UnknownDocument):
        await log.append([update(doc, 2)], [checkpoint(doc, 2), checkpoint(doc + 100, 2)])
    assert await log.update_count(doc) == 1
    assert await log.checkpoint_count(doc) == 0
    assert await log.append([update(doc, 2)]) == [2]  # the number taken was given back


async def test_no_checkpoint_is_stored_after_a_newer_one(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append(
        [update(doc, n) for n in range(1, 11)], [checkpoint(doc, 5), checkpoint(doc, 10)]
    )
    await log.append([], [checkpoint(doc, 7, b"older, from a slower node")])
    assert await log.list_checkpoints(doc) == [5, 10]
    await log.append([], [checkpoint(doc, 12)])
    assert await log.list_checkpoints(doc) == [5, 10, 12]


async def test_append_to_an_unknown_document_is_refused(log: DocumentLog) -> None:
    with pytest.raises(UnknownDocument):
        await log.append([update(999, 1)])


async def test_append_numbers_each_document_on(log: DocumentLog) -> None:
    one, two = [(await log.ensure_document(name)).id for name in ("one", "two")]
    assert await log.append([update(one, 1), update(two, 1), update(one, 2)]) == [1, 1, 2]
    assert await log.append([update(two, 2)]) == [2]
    assert await log.read_updates(one) == [(n, f"update {one}/{n}".encode()) for n in (1, 2)]


async def test_rows_keep_every_field(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append(
        [
            update(doc, 1, author="Мария Петрова", client_id=2**53 - 1, origin="import"),
            update(doc, 2, author=None, client_id=None, data=b"\x00\xff" * 1000),
        ]
    )
    assert await log.read_updates(doc, after_seq=1) == [(2, b"\x00\xff" * 1000)]
    assert await log.read_updates(doc, after_seq=0, upto_seq=1) == [(1, b"update 1/1")]
    [version, anonymous] = (await log.history(doc, newest_first=False)).versions
    assert (version.author, version.client_ids) == ("Мария Петрова", [2**53 - 1])
    assert (anonymous.author, anonymous.client_ids) == (None, [])


async def test_load_rebuilds_a_real_document(log: DocumentLog) -> None:
    doc = (await log.ensure_document("proposal")).id
    source: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    body = source.get("body", type=pycrdt.Text)
    updates: list[bytes] = []
    source.observe(lambda event: updates.append(event.update))
    for word in ["Предложение", " за", " бюджет", " 2026"]:
        body += word
    at_four = source.get_update()
    for word in [": ", "парк", " и", " библиотека"]:
        body += word
    await log.append([update(doc, seq, data=data) for seq, data in enumerate(updates, 1)])
    await log.append([], [checkpoint(doc, 4, at_four)])

    state = await log.load("proposal")
    assert (state.checkpoint_seq, len(state.updates), state.last_seq) == (4, 4, 8)
    rebuilt: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    assert state.checkpoint is not None
    rebuilt.apply_update(state.checkpoint)
    for data in state.updates:
        rebuilt.apply_update(data)
    assert (
        str(rebuilt.get("body", type=pycrdt.Text))
        == "Предложение за бюджет 2026: парк и библиотека"
    )


async def test_holds_finds_an_update_by_its_bytes(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, 1, data="Чл. 1".encode()), update(doc, 2)])
    assert await log.holds(doc, "Чл. 1".encode())
    assert not await log.holds(doc, b"never stored")


async def test_a_batch_keeps_each_rows_time_and_order(log: DocumentLog) -> None:
    # PostgreSQL takes a batch as one statement of column arrays (storage/document_log.py)
    doc = (await log.ensure_document("d")).id
    sofia = timezone(timedelta(hours=2))
    start = datetime(2026, 12, 6, 9, 0, tzinfo=sofia)
    batch = [
        update(doc, n, author="Иван" if n < 250 else "Ана", at=start + timedelta(seconds=n))
        for n in range(1, 501)
    ]
    assert await log.append(batch) == list(range(1, 501))
    first, second = (await log.history(doc, newest_first=False)).versions
    assert (first.author, first.first_seq, first.last_seq) == ("Иван", 1, 249)
    assert (second.author, second.count) == ("Ана", 251)
    assert first.first_at == start + timedelta(seconds=1)
    assert second.last_at == datetime(2026, 12, 6, 7, 8, 20, tzinfo=UTC)
    assert [data for _, data in await log.read_updates(doc)] == [u.data for u in batch]


async def test_a_batch_of_updates_alone_is_all_or_nothing(log: DocumentLog) -> None:
    # On PostgreSQL each document's updates are one statement; a batch of several documents
    # runs them in one transaction, rolled back when one document does not exist
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, 1)])
    with pytest.raises(UnknownDocument):
        await log.append([update(doc, 2), update(doc + 100, 1), update(doc, 3)])
    assert await log.update_count(doc) == 1
    assert await log.append([update(doc, 2), update(doc, 3)]) == [2, 3]  # numbers given back


async def test_concurrent_appends_to_one_document_take_distinct_numbers(
    log: DocumentLog,
) -> None:
    doc = (await log.ensure_document("d")).id
    batches = [[update(doc, 100 * b + n) for n in range(1, 6)] for b in range(8)]
    numbered = await asyncio.gather(*(log.append(batch) for batch in batches))
    every = sorted(seq for seqs in numbered for seq in seqs)
    assert every == list(range(1, 41))
    for seqs in numbered:  # each batch's numbers follow on, in the batch's order
        assert seqs == list(range(seqs[0], seqs[0] + 5))
    stored = dict(await log.read_updates(doc))
    for batch, seqs in zip(batches, numbered, strict=True):
        assert [stored[seq] for seq in seqs] == [u.data for u in batch]
