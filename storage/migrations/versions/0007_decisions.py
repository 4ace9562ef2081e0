"""Decisions: proposals, polls with their electorate, named and secret ballots, and the
hash-chained decision records.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"),
        ondelete=ondelete,
    )


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at"),
        _time("state_changed_at"),
        sa.CheckConstraint(
            "state IN ('draft', 'discussion', 'voting', 'adopted', 'rejected', 'withdrawn')",
            name=op.f("ck_proposals_state"),
        ),
        _fk("proposals", "room_id", "rooms.id", "CASCADE"),
        _fk("proposals", "document_id", "documents.id", "CASCADE"),
        _fk("proposals", "created_by", "users.id", "SET NULL"),
        _fk("proposals", "amends_id", "proposals.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint("document_id", name=op.f("uq_proposals_document_id")),
    )
    op.create_index(op.f("ix_proposals_room_id"), "proposals", ["room_id"])
    op.create_index(op.f("ix_proposals_amends_id"), "proposals", ["amends_id"])
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _time("opens_at"),
        _time("closes_at", nullable=True),
        _time("closed_at", nullable=True),
        sa.Column("electorate_size", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at"),
        sa.Column("body_seq", sa.Integer(), nullable=True),
        sa.Column("body_state_vector", sa.LargeBinary(), nullable=True),
        sa.Column("body_state_sha256", sa.String(length=64), nullable=True),
        sa.Column("body_text_sha256", sa.String(length=64), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('scheduled', 'open', 'closed')", name=op.f("ck_polls_state")),
        _fk("polls", "room_id", "rooms.id", "CASCADE"),
        _fk("polls", "proposal_id", "proposals.id", "CASCADE"),
        _fk("polls", "created_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    op.create_index(op.f("ix_polls_room_id"), "polls", ["room_id"])
    op.create_index(op.f("ix_polls_proposal_id"), "polls", ["proposal_id"])
    op.create_index(op.f("ix_polls_closes_at"), "polls", ["closes_at"])
    op.create_table(
        "poll_voters",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("voted", sa.Boolean(), nullable=False),
        _fk("poll_voters", "poll_id", "polls.id", "CASCADE"),
        _fk("poll_voters", "user_id", "users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "user_id", name=op.f("pk_poll_voters")),
    )
    op.create_table(
        "ballots",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.JSON(), nullable=True),
        _time("cast_at"),
        _fk("ballots", "poll_id", "polls.id", "CASCADE"),
        _fk("ballots", "user_id", "users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "user_id", name=op.f("pk_ballots")),
    )
    op.create_table(
        "secret_ballots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("receipt_sha256", sa.String(length=64), nullable=False),
        sa.Column("choice", sa.JSON(), nullable=True),
        _fk("secret_ballots", "poll_id", "polls.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_ballots")),
        sa.UniqueConstraint("receipt_sha256", name=op.f("uq_secret_ballots_receipt_sha256")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_secret_ballots_poll_id"), "secret_ballots", ["poll_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("previous_sha256", sa.String(length=64), nullable=True),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        _time("created_at"),
        _fk("decisions", "room_id", "rooms.id", "CASCADE"),
        _fk("decisions", "poll_id", "polls.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("room_id", "position", name=op.f("uq_decisions_room_id")),
        sa.UniqueConstraint("poll_id", name=op.f("uq_decisions_poll_id")),
    )


def downgrade() -> None:
    for table in ("decisions", "secret_ballots", "ballots", "poll_voters", "polls", "proposals"):
        op.drop_table(table)
