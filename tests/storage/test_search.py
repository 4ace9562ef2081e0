"""Message search on real SQLite (FTS5) and PostgreSQL: what matches, and what never does."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, insert, inspect, make_url, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from storage.accounts import AccountStore
from storage.database import Database, alembic_config, create_engine, upgrade
from storage.discussion import DiscussionStore, StoredMessage
from storage.live_models import MessageRecord
from storage.models import RoomRecord
from storage.rooms import RoomStore
from storage.search import MAX_QUERY_WORDS, MAX_WORD_LENGTH, MessageSearch, normalize, words
from tests.storage.factories import T0
from tests.support.services import postgres_admin_url, unavailable


def _describe(message: StoredMessage) -> dict[str, Any]:
    return {"id": message.id}


@dataclass
class Room:
    """A room with one member who posts, and the search over its database."""

    id: int
    author: int
    store: DiscussionStore
    search: MessageSearch

    async def post(self, body: str) -> int:
        message, _ = await self.store.post(
            self.id, self.author, body, None, now=T0, event="m", describe=_describe
        )
        return message.id

    async def edit(self, message_id: int, body: str) -> None:
        await self.store.edit(
            self.id, message_id, body, actor_user_id=self.author, now=T0, event="e",
            describe=_describe,
        )  # fmt: skip

    async def delete(self, message_id: int) -> None:
        await self.store.delete(
            self.id, message_id, actor_user_id=self.author, now=T0, event="d", describe=_describe
        )

    async def find(self, query: str, *, limit: int = 50, before: int | None = None) -> list[int]:
        return await self.search.search(self.id, query, limit=limit, before=before)


async def _room(database: Database, slug: str = "съвет") -> Room:
    user = await AccountStore(database).create_user(
        f"автор-{slug}", display_name="Автор", locale="bg", password_hash=None, is_admin=False,
        created_at=T0,
    )  # fmt: skip
    room = await RoomStore(database).create_room(
        slug, title="Общински съвет", description="", visibility="public", owner_id=user.id,
        created_at=T0,
    )  # fmt: skip
    return Room(room.id, user.id, DiscussionStore(database), MessageSearch(database))


@pytest.fixture
async def room(database: Database) -> Room:
    return await _room(database)


# -- the rules, without a database ----------------------------------------------------------
def test_words_are_normalised_runs_of_letters_digits_and_marks() -> None:
    assert words("**Общинският** съвет, it's Sofia-град №12 (2025)!") == [
        "общинският",
        "съвет",
        "it",
        "s",
        "sofia",
        "град",
        "12",
        "2025",
    ]
    assert words("Съвет СЪВЕТ съвет 👍 — …") == ["съвет"]  # distinct, emoji are not words
    assert words("ра\u0300бота") == ["ра\u0300бота"]  # a stress mark stays in its word
    assert words("и\u0306") == ["й"]  # decomposed й is composed, not stripped to и
    assert normalize("ＳＯＦＩＡ ﬁnance Straße ΣΟΦΊΑ") == "sofia finance strasse σοφία"
    assert words("я" * (MAX_WORD_LENGTH + 10)) == ["я" * MAX_WORD_LENGTH]
    # separators are judged as written: symbols that normalise to letters stay separators
    assert words("Решение №12, Veche™, ½") == ["решение", "12", "veche", "1", "2"]


# -- on both databases ----------------------------------------------------------------------
async def test_a_word_prefix_finds_the_inflected_word(room: Room) -> None:
    council = await room.post("Общинският съвет прие бюджета.")
    for query in ("общински", "Общинският", "ОБЩ", "о", "съвет", "бюдж"):
        assert await room.find(query) == [council], query


async def test_case_does_not_matter_in_cyrillic_or_latin(room: Room) -> None:
    ids = [await room.post(body) for body in ("ОБЩИНА", "Община", "община")]
    latin = [await room.post(body) for body in ("Sofia", "SOFIA", "sofia")]
    for query in ("ОБЩИНА", "Община", "община", "оБщИнА"):
        assert await room.find(query) == ids[::-1], query
    for query in ("Sofia", "SOFIA", "sofia", "sOf"):
        assert await room.find(query) == latin[::-1], query


async def test_a_prefix_must_start_a_word(room: Room) -> None:
    agenda = await room.post("Дневен ред")
    await room.post("Предлагам промяна")  # «ред» inside a word
    boris = await room.post("Борис е съгласен")
    await room.post("Изборите са в неделя")  # «бор» inside a word
    await room.post("Общинският съвет")  # «ски», «съв»… only at the start
    assert await room.find("ред") == [agenda]
    assert await room.find("бор") == [boris]
    assert await room.find("ински") == []
    assert await room.find("ят") == []


async def test_й_and_и_are_different_letters(room: Room) -> None:
    mine = await room.post("Това е мой глас")
    ours = await room.post("Това са мои гласове")
    her = await room.post("Дадох ѝ думата")
    assert await room.find("мой") == [mine]
    assert await room.find("МОЙ") == [mine]
    assert await room.find("мои") == [ours]
    assert await room.find("мо\u0438\u0306") == [mine]  # и + combining breve is й
    decomposed = await room.post("мо\u0438\u0306 глас")
    assert await room.find("мой") == [decomposed, mine]
    assert await room.find("ѝ") == [her]
    assert await room.find("и") == []  # ѝ is not и; no word here starts with и


async def test_every_word_must_match_in_any_order(room: Room) -> None:
    both = await room.post("Общинският съвет прие бюджета")
    budget = await room.post("Бюджетът на общината")
    assert await room.find("общ бюдж") == [budget, both]
    assert await room.find("съвет бюджет") == [both]
    assert await room.find("бюджет съвет") == [both]
    assert await room.find("съвет бюджет заседание") == []


async def test_rooms_are_searched_separately(database: Database, room: Room) -> None:
    other = await _room(database, "друга")
    here = await room.post("Протокол от заседанието")
    there = await other.post("Протокол от заседанието")
    assert await room.find("протокол") == [here]
    assert await other.find("протокол") == [there]


async def test_an_edit_replaces_the_indexed_words(room: Room) -> None:
    message = await room.post("Предлагам сряда")
    await room.edit(message, "Предлагам четвъртък")
    assert await room.find("сряда") == []
    assert await room.find("четвъртък") == [message]
    assert await room.find("предлагам") == [message]

    await room.edit(message, "👍")  # no words: in no result
    assert await room.find("предлагам") == []
    await room.edit(message, "Петък")
    assert await room.find("петък") == [message]


async def test_deleted_messages_are_never_found(database: Database, room: Room) -> None:
    gone = await room.post("Тайна информация")
    kept = await room.post("Информация за всички")
    await room.delete(gone)
    assert await room.find("информация") == [kept]
    assert await room.find("тайна") == []
    async with database.engine.connect() as connection:  # its words left the index too
        assert await connection.scalar(text("SELECT count(*) FROM message_search")) == 1


async def test_pages_go_back_with_before(room: Room) -> None:
    ids = [await room.post(f"Точка {n} от дневния ред") for n in range(5)]
    await room.post("Друго")
    assert await room.find("точка", limit=2) == [ids[4], ids[3]]
    assert await room.find("точка", limit=2, before=ids[3]) == [ids[2], ids[1]]
    assert await room.find("точка", limit=2, before=ids[1]) == [ids[0]]
    assert await room.find("точка", limit=2, before=ids[0]) == []
    assert await room.find("точка 3") == [ids[3]]


async def _hide(database: Database, *message_ids: int) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(MessageRecord)
            .where(MessageRecord.id.in_(message_ids))
            .values(hidden_at=T0, hidden_reason="лични данни")
        )


async def test_hidden_messages_are_left_out_before_the_page_is_cut(
    database: Database, room: Room
) -> None:
    # A page of the visible matches alone: a hidden match must not take a place in it, or
    # its id (the page's last one, where the next page starts) would tell that it matched.
    ids = [await room.post(f"Бюджет, точка {n}") for n in range(6)]
    secret = await room.post("Тайна")
    await _hide(database, ids[1], ids[4], ids[5], secret)
    assert await room.find("бюджет", limit=2) == [ids[3], ids[2]]
    assert await room.find("бюджет", limit=2, before=ids[2]) == [ids[0]]
    assert await room.find("тайна", limit=1) == []
    every = await room.search.search(room.id, "бюджет", limit=2, hidden_too=True)
    assert every == [ids[5], ids[4]]
    assert await room.search.search(room.id, "тайна", limit=1, hidden_too=True) == [secret]


async def test_query_syntax_is_never_interpreted(room: Room) -> None:
    words_ = await room.post("Anderson ordered NOT NEAR the budget")
    council = await room.post("Съвет и бюджет")
    hostile = {
        '"AND OR * (': [words_],  # the words "and" and "or", as prefixes
        "NOT": [words_],
        "NEAR(budget ordered)": [words_],
        "съвет) (бюджет": [council],
        "съвет OR бюджет": [],  # AND, and "or" is a word like any other
        "-съвет": [council],
        "budget:*": [words_],
        "'съвет' & !бюджет": [council],
        "body:съвет": [],  # not a column filter: the words "body" and "съвет"
        "съвет <-> бюджет": [council],
        "\\' OR 1=1 --": [],  # words "or" and "1": no message has "1"
        "'; DROP TABLE messages; --": [],
        "*  ( ) \" ' : ^ + - {}": [],  # no words at all
        "\x00\u200b\ufeff": [],
    }
    for query, expected in hostile.items():
        assert await room.find(query) == expected, query
    assert await room.find("съвет") == [council]  # the table is still there


async def test_empty_queries_too_many_words_and_bad_limits_are_refused(room: Room) -> None:
    for query in ("", "   ", "\n\t\u3000"):
        with pytest.raises(ValueError, match="empty"):
            await room.find(query)
    with pytest.raises(ValueError, match="words"):
        await room.find(" ".join(f"дума{n}" for n in range(MAX_QUERY_WORDS + 1)))
    assert await room.find(" ".join(["дума"] * (MAX_QUERY_WORDS + 1))) == []  # distinct words
    with pytest.raises(ValueError, match="limit"):
        await room.find("съвет", limit=0)


async def test_markdown_and_punctuation_only_separate_words(room: Room) -> None:
    bold = await room.post("**Общинският** съвет")
    link = await room.post("Виж [протокола](https://example.org/protokol-2025) и _бележките_")
    dashed = await room.post("социално-икономическо развитие, O'Brien")
    assert await room.find("общински") == [bold]
    assert await room.find("**общински") == [bold]
    assert await room.find("протокол") == [link]
    assert await room.find("example 2025") == [link]
    assert await room.find("бележки") == [link]
    assert await room.find("икономическо") == [dashed]
    assert await room.find("социално-икономическо") == [dashed]
    assert await room.find("brien") == [dashed]
    assert await room.find("o'brien") == [dashed]


async def test_there_is_no_stemming_and_no_folding_of_accents(room: Room) -> None:
    the_council = await room.post("Решение на общината")
    councils = await room.post("Всички общини")
    cafe = await room.post("Среща в café")
    assert await room.find("общин") == [councils, the_council]
    assert await room.find("община") == [the_council]  # a prefix of «общината» only
    assert await room.find("общината") == [the_council]
    assert await room.find("общините") == []
    assert await room.find("cafe") == []
    assert await room.find("CAFÉ") == [cafe]
    assert await room.find("ＣＡＦÉ") == [cafe]  # NFKC: fullwidth letters are letters


async def test_long_words_are_found_by_their_start(room: Room) -> None:
    long = "а" * (MAX_WORD_LENGTH + 20)
    message = await room.post(f"{long} край")
    assert await room.find(long) == [message]
    assert await room.find(long[: MAX_WORD_LENGTH + 5] + "б") == [message]  # cut at the limit
    assert await room.find(long[:10]) == [message]


# -- the migration --------------------------------------------------------------------------
def _migrate(connection: Connection, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_migration_indexes_the_live_messages_already_there(
    empty_database_url: str,
) -> None:
    database_url = empty_database_url
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, "0004")
            room_id = (
                await connection.execute(
                    insert(RoomRecord)
                    .values(slug="стара", title="Стара", visibility="public", created_at=T0)
                    .returning(RoomRecord.id)
                )
            ).scalar_one()
            for body, deleted in [("Стар протокол", None), ("Изтрит протокол", T0), ("👍", None)]:
                await connection.execute(
                    insert(MessageRecord).values(
                        room_id=room_id, body=body, created_at=T0, deleted_at=deleted
                    )
                )
            first = (await connection.execute(text("SELECT min(id) FROM messages"))).scalar_one()
        await upgrade(database_url)
        async with Database(database_url) as database:
            assert await MessageSearch(database).search(room_id, "протокол", limit=10) == [first]
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, "0004", down=True)
            assert "message_search" not in await connection.run_sync(_tables)
    finally:
        await engine.dispose()


# -- PostgreSQL in a C locale ---------------------------------------------------------------
@pytest.fixture
async def c_locale_postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database with LC_CTYPE and LC_COLLATE "C", dropped afterwards."""
    admin = make_url(postgres_admin_url())
    name = f"veche_test_c_{uuid.uuid4().hex[:16]}"
    engine = create_async_engine(
        admin, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"timeout": 5}
    )
    try:
        try:
            connection = await engine.connect()
        except (OSError, TimeoutError, SQLAlchemyError) as exc:
            unavailable(f"PostgreSQL unavailable at {admin.render_as_string()}: {exc}")
        try:
            await connection.exec_driver_sql(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
                " LC_COLLATE 'C' LC_CTYPE 'C'"
            )
        finally:
            await connection.close()
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            async with engine.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgresql_in_a_c_locale_finds_cyrillic_regardless_of_case(
    c_locale_postgres_url: str,
) -> None:
    await upgrade(c_locale_postgres_url)
    async with Database(c_locale_postgres_url) as database:
        async with database.engine.connect() as connection:
            # why the words are made in Python: here the server folds only ASCII letters
            # and its text-search parser keeps Cyrillic capitals
            folded = await connection.scalar(text("SELECT lower('Общинският SOFIA')"))
            assert folded == "Общинският sofia"
            parsed = await connection.scalar(
                text("SELECT CAST(to_tsvector('simple', 'Общинският') AS text)")
            )
            assert parsed == "'Общинският':1"
        room = await _room(database)
        council = await room.post("Общинският съвет")
        assert await room.find("общински") == [council]
        assert await room.find("ОБЩИНСКИ СЪВЕТ") == [council]
        assert await room.find("мой") == []
