"""Amendments and anchored comments: ``document_forks`` (a document forked from a base, with
the base's state vector and sequence number at fork time, and its merge) and
``document_comments`` (comments on a range of a Y.Text, anchored by Yjs relative positions).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "document_forks",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("base_document_id", sa.Integer(), nullable=False),
        sa.Column("base_state_vector", sa.LargeBinary(), nullable=False),
        sa.Column("base_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_by", sa.Integer(), nullable=True),
        sa.Column("merged_seq", sa.BigInteger(), nullable=True),
        _fk("document_forks", "document_id", "documents.id", "CASCADE"),
        _fk("document_forks", "base_document_id", "documents.id", "CASCADE"),
        _fk("document_forks", "created_by", "users.id", "SET NULL"),
        _fk("document_forks", "merged_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_forks")),
    )
    op.create_index(
        op.f("ix_document_forks_base_document_id"), "document_forks", ["base_document_id"]
    )
    op.create_table(
        "document_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=255), nullable=False),
        sa.Column("start_position", sa.LargeBinary(), nullable=False),
        sa.Column("end_position", sa.LargeBinary(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("document_comments", "document_id", "documents.id", "CASCADE"),
        _fk("document_comments", "author_id", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_comments")),
    )
    op.create_index(op.f("ix_document_comments_document_id"), "document_comments", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_document_comments_document_id"), table_name="document_comments")
    op.drop_table("document_comments")
    op.drop_index(op.f("ix_document_forks_base_document_id"), table_name="document_forks")
    op.drop_table("document_forks")
