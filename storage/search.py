"""Full-text search in a room's messages, the same on SQLite (FTS5) and PostgreSQL.

Python does all the language work, so both databases see the same words whatever their
version, locale or text-search configuration (see docs/search.md for the rules):

- a *word* is a maximal run of letters, digits and combining marks (Unicode categories
  ``L*``, ``N*``, ``M*``); everything else (spaces, punctuation, hyphens, apostrophes,
  Markdown syntax, symbols, emoji) separates words;
- each word is normalised with Unicode NFKC and case folding (:func:`normalize`) and cut to
  ``MAX_WORD_LENGTH`` characters (:func:`words`);
- a query matches a message when every one of its words is a prefix of some word of the
  message.

The index holds each live message's distinct words, keyed by message id: on SQLite the FTS5
table ``message_search`` (``ascii`` tokenizer: it splits only at ASCII punctuation and
spaces and folds nothing outside ASCII, so it keeps our already-normalised words exactly as
they are); on PostgreSQL the table ``message_search`` with a ``tsvector`` built by
``array_to_tsvector`` (no parser, no dictionary) under a GIN index. Queries are built from
the normalised words, each quoted, so nothing a user types is read as query syntax.

``index_message`` and ``unindex_message`` run inside the caller's transaction, so a message
is searchable exactly when its change is committed; ``MessageSearch`` reads.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType

__all__ = [
    "MAX_INDEXED_BYTES",
    "MAX_QUERY_WORDS",
    "MAX_WORD_LENGTH",
    "SEARCH_TABLES",
    "MessageSearch",
    "alembic_include_name",
    "index_message",
    "indexed_words",
    "insert_parameters",
    "insert_statement",
    "normalize",
    "unindex_message",
    "words",
]

MAX_WORD_LENGTH = 64  # characters; longer words are indexed and searched by their start
MAX_QUERY_WORDS = 32
MAX_INDEXED_BYTES = 256 * 1024  # UTF-8 bytes of distinct words kept per message
_WORD_CATEGORIES = frozenset("LNM")  # letters, numbers, combining marks

# Tables of the search index; not ORM models (FTS5 and its shadow tables on SQLite).
SEARCH_TABLES = frozenset(
    {
        "message_search",
        "message_search_config",
        "message_search_content",
        "message_search_data",
        "message_search_idx",
    }
)


def normalize(value: str) -> str:
    """NFKC, case folding, NFKC again (folding can leave a text unnormalised).

    Composed letters stay what they are: decomposed ``и`` + U+0306 becomes ``й``, never ``и``.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def _is_word_character(character: str) -> bool:
    return unicodedata.category(character)[0] in _WORD_CATEGORIES


def _runs(value: str) -> Iterator[str]:
    for is_word, run in itertools.groupby(value, key=_is_word_character):
        if is_word:
            yield "".join(run)


def words(value: str) -> list[str]:
    """The distinct normalised words of a text, in order of first appearance.

    Word characters are told apart in the text as written, so a symbol that normalises to
    letters stays a separator (``№12`` is the word ``12``, not ``no12``); each word is then
    normalised and split again where normalisation made a separator (``½`` is ``1⁄2``).
    """
    found: dict[str, None] = {}
    for run in _runs(value):
        for word in _runs(normalize(run)):
            found.setdefault(word[:MAX_WORD_LENGTH])
    return list(found)


def indexed_words(body: str) -> list[str]:
    """The words of a message that go into the index: its first ``MAX_INDEXED_BYTES``."""
    kept: list[str] = []
    size = 0
    for word in words(body):
        size += len(word.encode()) + 1
        if size > MAX_INDEXED_BYTES:
            break
        kept.append(word)
    return kept


# -- writing --------------------------------------------------------------------------------
_DELETE = {
    "sqlite": text("DELETE FROM message_search WHERE rowid = :message_id"),
    "postgresql": text("DELETE FROM message_search WHERE message_id = :message_id"),
}
_INSERT = {
    "sqlite": text("INSERT INTO message_search (rowid, words) VALUES (:message_id, :words)"),
    "postgresql": text(
        "INSERT INTO message_search (message_id, words)"
        " VALUES (:message_id, array_to_tsvector(CAST(:words AS text[])))"
    ),
}


def _dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _for(dialect: str, statements: Mapping[str, TextClause]) -> TextClause:
    try:
        return statements[dialect]
    except KeyError:
        raise ValueError(f"message search does not support the {dialect!r} dialect") from None


def insert_statement(dialect: str) -> TextClause:
    """The statement that adds one message to the index (used by migration 0005 too)."""
    return _for(dialect, _INSERT)


def insert_parameters(dialect: str, message_id: int, body: str) -> dict[str, Any] | None:
    """Parameters of ``insert_statement`` for a message; None when it has no words."""
    found = indexed_words(body)
    if not found:
        return None
    return {"message_id": message_id, "words": " ".join(found) if dialect == "sqlite" else found}


async def index_message(session: AsyncSession, message_id: int, body: str) -> None:
    """Put a message's current body in the index, replacing what was there, in the session's
    transaction. A body without words leaves the message out of the index."""
    dialect = _dialect_of(session)
    await session.execute(_for(dialect, _DELETE), {"message_id": message_id})
    parameters = insert_parameters(dialect, message_id, body)
    if parameters is not None:
        await session.execute(_for(dialect, _INSERT), parameters)


async def unindex_message(session: AsyncSession, message_id: int) -> None:
    """Take a message out of the index, in the session's transaction."""
    await session.execute(_for(_dialect_of(session), _DELETE), {"message_id": message_id})


# -- reading --------------------------------------------------------------------------------
def _fts5_query(terms: list[str]) -> str:
    # each word a quoted string ("" escapes a quote), * makes it a prefix
    return " AND ".join('"' + term.replace('"', '""') + '"*' for term in terms)


def _tsquery(terms: list[str]) -> str:
    # tsquery input syntax: a quoted lexeme ('' and \ escape), :* makes it a prefix
    quoted = (term.replace("\\", "\\\\").replace("'", "''") for term in terms)
    return " & ".join(f"'{term}':*" for term in quoted)


# The index drives (newest matches first); the join keeps only live messages of the room,
# and hidden ones only when asked for. Every filter is in the query, so LIMIT counts only
# rows the caller may see: a page (and where the next one starts) is the same whether or not
# hidden messages match.
_SEARCH = {
    "sqlite": (
        "SELECT m.id FROM message_search AS s CROSS JOIN messages AS m ON m.id = s.rowid"
        " WHERE s.message_search MATCH :query AND m.room_id = :room_id"
        " AND m.deleted_at IS NULL{hidden}{before} ORDER BY s.rowid DESC LIMIT :limit",
        " AND s.rowid < :before",
    ),
    "postgresql": (
        "SELECT m.id FROM message_search AS s JOIN messages AS m ON m.id = s.message_id"
        " WHERE s.words @@ CAST(:query AS tsquery) AND m.room_id = :room_id"
        " AND m.deleted_at IS NULL{hidden}{before} ORDER BY m.id DESC LIMIT :limit",
        " AND m.id < :before",
    ),
}
_NOT_HIDDEN = " AND m.hidden_at IS NULL"


class MessageSearch:
    """Finds a room's messages by the words they contain."""

    def __init__(self, database: Database) -> None:
        if database.dialect not in _SEARCH:
            raise ValueError(f"message search does not support {database.dialect!r}")
        self._dialect = database.dialect
        self._sessions = database.sessionmaker
        template, before = _SEARCH[self._dialect]
        self._statements = {
            (hidden, paged): text(
                template.format(
                    hidden="" if hidden else _NOT_HIDDEN, before=before if paged else ""
                )
            )
            for hidden in (False, True)
            for paged in (False, True)
        }

    async def search(
        self,
        room_id: int,
        query: str,
        *,
        limit: int,
        before: int | None = None,
        hidden_too: bool = False,
    ) -> list[int]:
        """Ids of the room's live messages containing every word of ``query`` as a word
        prefix, newest first, at most ``limit``, below ``before`` when given.

        Hidden messages are left out (in the query itself, so the page and its last id are
        those of the visible matches alone) unless ``hidden_too``: for moderators.

        A query with no words (only punctuation or emoji) matches nothing.

        Raises:
            ValueError: the query is empty or blank, has more than ``MAX_QUERY_WORDS``
                words, or ``limit`` is below 1.
        """
        if not query.strip():
            raise ValueError("the search query is empty")
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        terms = words(query)
        if len(terms) > MAX_QUERY_WORDS:
            raise ValueError(f"the search query has more than {MAX_QUERY_WORDS} words")
        if not terms:
            return []
        compiled = _fts5_query(terms) if self._dialect == "sqlite" else _tsquery(terms)
        parameters: dict[str, Any] = {"query": compiled, "room_id": room_id, "limit": limit}
        if before is not None:
            parameters["before"] = before
        statement = self._statements[hidden_too, before is not None]
        async with self._sessions() as session:
            return list((await session.scalars(statement, parameters)).all())


def alembic_include_name(
    name: str | None, type_: NameFilterType, _parents: NameFilterParentNames
) -> bool:
    """Alembic ``include_name`` hook: leave the search tables (not ORM models) out of
    autogenerate comparisons; everything else is compared."""
    return not (type_ == "table" and name in SEARCH_TABLES)
