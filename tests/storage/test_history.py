from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from storage import document_log
from storage.document_log import DocumentLog, NewUpdate, Version
from storage.errors import InvalidCursor
from storage.history import decode_cursor
from tests.storage.factories import T0, update

SECOND = timedelta(seconds=1)
PAUSE = timedelta(minutes=1)

# (author, client id, seconds after T0) for seq 1, 2, ...
SESSION: list[tuple[str | None, int | None, float]] = [
    ("Иван Иванов", 11, 0),
    ("Иван Иванов", 11, 1),
    ("Иван Иванов", 12, 2),  # same person, second tab
    ("Мария", 20, 3),
    ("Мария", 20, 63),  # exactly one pause later: same version
    ("Иван Иванов", 11, 64),
    ("Иван Иванов", 11, 65),
    ("Иван Иванов", 11, 65 + 60.000001),  # just over a pause: a new version
    (None, None, 200),
    (None, 7, 201),
]


def session_updates(document_id: int) -> list[NewUpdate]:
    return [
        update(document_id, seq, author=author, client_id=client, at=T0 + seconds * SECOND)
        for seq, (author, client, seconds) in enumerate(SESSION, 1)
    ]


def expected_versions() -> list[Version]:
    def version(author: str | None, first: int, last: int, clients: list[int]) -> Version:
        return Version(
            author=author,
            first_seq=first,
            last_seq=last,
            count=last - first + 1,
            first_at=T0 + SESSION[first - 1][2] * SECOND,
            last_at=T0 + SESSION[last - 1][2] * SECOND,
            client_ids=clients,
        )

    return [
        version("Иван Иванов", 1, 3, [11, 12]),
        version("Мария", 4, 5, [20]),
        version("Иван Иванов", 6, 7, [11]),
        version("Иван Иванов", 8, 8, [11]),
        version(None, 9, 10, [7]),
    ]


async def all_pages(log: DocumentLog, doc: int, *, limit: int, newest_first: bool) -> list[Version]:
    versions: list[Version] = []
    cursor = None
    for _ in range(20):
        page = await log.history(doc, cursor=cursor, limit=limit, newest_first=newest_first)
        assert 0 < len(page.versions) <= limit
        versions += page.versions
        if page.next_cursor is None:
            return versions
        assert len(page.versions) == limit
        cursor = page.next_cursor
    raise AssertionError("pagination does not end")


async def test_versions_are_runs_of_one_author_without_long_pauses(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append(session_updates(doc))

    oldest_first = await log.history(doc, pause=PAUSE, newest_first=False)
    assert oldest_first.versions == expected_versions()
    assert oldest_first.next_cursor is None

    newest_first = await log.history(doc, pause=PAUSE)
    assert newest_first.versions == expected_versions()[::-1]


async def test_the_pause_decides_where_versions_split(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append(session_updates(doc))
    page = await log.history(doc, pause=timedelta(minutes=5), newest_first=False)
    assert [(v.author, v.first_seq, v.last_seq) for v in page.versions] == [
        ("Иван Иванов", 1, 3),
        ("Мария", 4, 5),
        ("Иван Иванов", 6, 8),
        (None, 9, 10),
    ]
    page = await log.history(doc, pause=timedelta(seconds=1), newest_first=False)
    assert [(v.first_seq, v.last_seq) for v in page.versions] == [
        (1, 3), (4, 4), (5, 5), (6, 7), (8, 8), (9, 10),
    ]  # fmt: skip


async def test_pages_concatenate_to_the_whole_history(
    log: DocumentLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append(session_updates(doc))
    for chunk in (2, 3, 1000):  # rows per query: page and chunk boundaries fall anywhere
        monkeypatch.setattr(document_log, "HISTORY_CHUNK", chunk)
        for limit in range(1, 7):
            oldest_first = await all_pages(log, doc, limit=limit, newest_first=False)
            assert oldest_first == expected_versions(), (chunk, limit)
            newest_first = await all_pages(log, doc, limit=limit, newest_first=True)
            assert newest_first == expected_versions()[::-1], (chunk, limit)


async def test_history_of_an_empty_document(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    page = await log.history(doc)
    assert (page.versions, page.next_cursor) == ([], None)


async def test_clock_skew_between_nodes_does_not_split_a_version(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append([update(doc, 1, at=T0), update(doc, 2, at=T0 - 2 * SECOND)])
    [version] = (await log.history(doc)).versions
    assert (version.first_seq, version.last_seq, version.count) == (1, 2, 2)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


BAD_CURSORS = [
    "",
    "not a cursor",
    "!!!!",
    _b64("v1:desc"),
    _b64("v1:desc:-1"),
    _b64("v1:desc:x"),
    _b64("v1:desc:+3"),
    _b64("v2:desc:3"),
    _b64("v1:up:3"),
    _b64("v1:asc:3"),  # the other direction
    _b64("v1:desc:3\u00e9"),
]


async def test_a_bad_cursor_is_refused(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    for cursor in BAD_CURSORS:
        with pytest.raises(InvalidCursor):
            await log.history(doc, cursor=cursor)


async def test_a_cursor_only_works_in_its_direction(log: DocumentLog) -> None:
    doc = (await log.ensure_document("d")).id
    await log.append(session_updates(doc))
    page = await log.history(doc, limit=1)
    assert page.next_cursor is not None
    with pytest.raises(InvalidCursor):
        await log.history(doc, cursor=page.next_cursor, newest_first=False)


async def test_limit_must_be_positive(log: DocumentLog) -> None:
    with pytest.raises(ValueError, match="limit"):
        await log.history(1, limit=0)


def test_a_cursor_past_64_bits_is_malformed() -> None:
    # It would reach SQL as a number no BIGINT column holds (a 500 before).
    for digits in ("9" * 30, str(2**63)):
        cursor = base64.urlsafe_b64encode(f"v1:desc:{digits}".encode()).decode()
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor, newest_first=True)
    edge = base64.urlsafe_b64encode(f"v1:desc:{2**63 - 1}".encode()).decode()
    assert decode_cursor(edge, newest_first=True) == 2**63 - 1
