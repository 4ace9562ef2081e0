from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, insert, inspect, text

from storage.database import alembic_config, create_engine, upgrade
from storage.models import DocumentRecord, utc_now
from storage.schema import metadata
from storage.search import SEARCH_TABLES, alembic_include_name

REPO = Path(__file__).resolve().parents[2]
TABLES = {
    "documents",
    "document_updates",
    "document_checkpoints",
    "users",
    "auth_sessions",
    "api_tokens",
    "audit_events",
    "rooms",
    "room_members",
    "room_invitations",
    "room_documents",
    "room_events",
    "messages",
    "message_revisions",
    "message_reactions",
    "room_mutes",
    "message_flags",
    "agenda_items",
    "live_sessions",
    "raised_hands",
    "document_forks",
    "document_comments",
    "proposals",
    "polls",
    "poll_voters",
    "ballots",
    "secret_ballots",
    "decisions",
    "organisations",
    "organisation_sectors",
    "organisation_representatives",
    "consultations",
    "consultation_comments",
    "notice_addresses",
    "subscriptions",
    "planned_sessions",
    "webhook_endpoints",
    "outbox",
    "outbox_attempts",
}
# the search index is not an ORM model: one table on PostgreSQL, FTS5 and its shadows on SQLite
SEARCH = {"postgresql": {"message_search"}, "sqlite": set(SEARCH_TABLES)}
SEARCH_INDEXES = {"postgresql": {("remove_index", "ix_message_search_words")}, "sqlite": set()}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"include_name": alembic_include_name})
    return list(compare_metadata(context, metadata))


def _hidden_from_diff(connection: Connection) -> set[tuple[str, str]]:
    """What the search filter keeps out of ``_diff``: it must be the search tables only."""
    everything = compare_metadata(MigrationContext.configure(connection), metadata)
    return {(change[0], change[1].name) for change in everything}


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_upgrade_creates_the_tables_and_matches_the_models(empty_database_url: str) -> None:
    database_url = empty_database_url
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert not await connection.run_sync(_tables)

        await upgrade(database_url)

        async with engine.connect() as connection:
            dialect = engine.dialect.name
            search = SEARCH[dialect]
            assert await connection.run_sync(_tables) == TABLES | search | {"alembic_version"}
            assert await connection.run_sync(_diff) == []
            hidden = {("remove_table", name) for name in search} | SEARCH_INDEXES[dialect]
            assert await connection.run_sync(_hidden_from_diff) == hidden
            assert await connection.run_sync(_revision) == "0014"
    finally:
        await engine.dispose()


async def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(DocumentRecord).values(name="kept", created_at=utc_now())
            )
        await upgrade(database_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_revision) == "0014"
            names = (await connection.execute(text("SELECT name FROM documents"))).scalars()
            assert list(names) == ["kept"]
    finally:
        await engine.dispose()


def test_the_package_has_a_single_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == ["0014"]


def test_the_repository_alembic_ini_points_at_the_package_migrations() -> None:
    developer = ScriptDirectory.from_config(Config(str(REPO / "alembic.ini")))
    packaged = ScriptDirectory.from_config(alembic_config())
    assert Path(developer.dir).resolve() == Path(packaged.dir).resolve()
