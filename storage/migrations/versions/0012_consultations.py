"""Public consultations: a proposal opened for comments until a deadline, each comment's
organisation and response, and the published report, which enters the room's decision chain
(so a decision record no longer always closes a poll).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
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
        "consultations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _time("opened_at"),
        _time("closes_at"),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("oblast", sa.String(length=3), nullable=True),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        _time("closed_at", nullable=True),
        _time("reported_at", nullable=True),
        sa.Column("report_json", sa.Text(), nullable=True),
        sa.Column("report_sha256", sa.String(length=64), nullable=True),
        sa.Column("decision_position", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'closed', 'reported')", name=op.f("ck_consultations_state")
        ),
        _fk("consultations", "room_id", "rooms.id", "CASCADE"),
        _fk("consultations", "proposal_id", "proposals.id", "CASCADE"),
        _fk("consultations", "opened_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_consultations_proposal_id")),
    )
    op.create_index(op.f("ix_consultations_room_id"), "consultations", ["room_id"])
    op.create_index(op.f("ix_consultations_closes_at"), "consultations", ["closes_at"])
    op.create_index(op.f("ix_consultations_oblast"), "consultations", ["oblast"])
    op.create_table(
        "consultation_comments",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("response", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("responded_by", sa.Integer(), nullable=True),
        _time("responded_at", nullable=True),
        sa.CheckConstraint(
            "response IS NULL OR response IN ('accepted', 'partly_accepted', 'not_accepted')",
            name=op.f("ck_consultation_comments_response"),
        ),
        _fk("consultation_comments", "comment_id", "document_comments.id", "CASCADE"),
        _fk("consultation_comments", "consultation_id", "consultations.id", "CASCADE"),
        _fk("consultation_comments", "organisation_id", "organisations.id", "SET NULL"),
        _fk("consultation_comments", "responded_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_consultation_comments")),
    )
    op.create_index(
        op.f("ix_consultation_comments_consultation_id"),
        "consultation_comments",
        ["consultation_id"],
    )
    with op.batch_alter_table("decisions") as table:
        table.alter_column("poll_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM decisions WHERE poll_id IS NULL")
    with op.batch_alter_table("decisions") as table:
        table.alter_column("poll_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("consultation_comments")
    op.drop_table("consultations")
