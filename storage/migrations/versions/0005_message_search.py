"""Message search: the full-text index of live messages (see storage/search.py).

SQLite: the FTS5 table ``message_search`` (rowid = message id; ``ascii`` tokenizer, which
keeps the words storage.search has already normalised exactly as given; no positions, no
column sizes: queries are word prefixes joined by AND). PostgreSQL: ``message_search``
(message id, ``tsvector`` of the words) with a GIN index. Existing live messages are indexed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.search import insert_parameters, insert_statement

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE message_search USING fts5("
            "words, tokenize = 'ascii', detail = none, columnsize = 0)"
        )
    else:
        op.create_table(
            "message_search",
            sa.Column("message_id", sa.Integer(), nullable=False),
            sa.Column("words", postgresql.TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(
                ["message_id"],
                ["messages.id"],
                name=op.f("fk_message_search_message_id_messages"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_search")),
        )
        op.create_index(
            op.f("ix_message_search_words"), "message_search", ["words"], postgresql_using="gin"
        )

    page = sa.text(
        "SELECT id, body FROM messages WHERE deleted_at IS NULL AND id > :after"
        " ORDER BY id LIMIT :limit"
    )
    insert = insert_statement(dialect)
    after = 0
    while batch := bind.execute(page, {"after": after, "limit": _BATCH}).all():
        after = batch[-1].id
        rows = [insert_parameters(dialect, row.id, row.body) for row in batch]
        found = [parameters for parameters in rows if parameters is not None]
        if found:
            bind.execute(insert, found)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE message_search")
    else:
        op.drop_index(op.f("ix_message_search_words"), table_name="message_search")
        op.drop_table("message_search")
