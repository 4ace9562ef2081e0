"""Notices: people's e-mail addresses for notices, their subscriptions, and on each event
the time its notices were queued (so each is queued exactly once).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "notice_addresses",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        _time("updated_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notice_addresses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notice_addresses")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        _time("created_at"),
        sa.CheckConstraint(
            "kind IN ('all', 'region', 'sector', 'room', 'organisation')",
            name=op.f("ck_subscriptions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("user_id", "kind", "target", name=op.f("uq_subscriptions_user_id")),
    )
    op.create_index(op.f("ix_subscriptions_user_id"), "subscriptions", ["user_id"])
    for column in ("opened_noticed_at", "reminded_at", "reported_noticed_at"):
        op.add_column("consultations", _time(column, nullable=True))
    op.add_column("decisions", _time("noticed_at", nullable=True))
    # what happened before notices existed is not announced now
    op.execute("UPDATE decisions SET noticed_at = created_at")
    op.execute(
        "UPDATE consultations SET opened_noticed_at = opened_at, reminded_at = opened_at, "
        "reported_noticed_at = reported_at"
    )


def downgrade() -> None:
    with op.batch_alter_table("decisions") as table:
        table.drop_column("noticed_at")
    with op.batch_alter_table("consultations") as table:
        for column in ("opened_noticed_at", "reminded_at", "reported_noticed_at"):
            table.drop_column(column)
    op.drop_table("subscriptions")
    op.drop_table("notice_addresses")
