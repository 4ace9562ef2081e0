"""Outreach: the outbox of e-mails and webhooks, webhook endpoints and the delivery log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
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
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        _time("previous_secret_until", nullable=True),
        _time("created_at"),
        _time("disabled_at", nullable=True),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        _fk("webhook_endpoints", "owner_id", "users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(op.f("ix_webhook_endpoints_owner_id"), "webhook_endpoints", ["owner_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("next_attempt_at"),
        sa.Column("lease", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        _time("created_at"),
        _time("delivered_at", nullable=True),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name=op.f("ck_outbox_channel")),
        sa.CheckConstraint(
            "state IN ('pending', 'delivered', 'failed')", name=op.f("ck_outbox_state")
        ),
        sa.CheckConstraint(
            "(channel = 'email' AND recipient IS NOT NULL)"
            " OR (channel = 'webhook' AND endpoint_id IS NOT NULL)",
            name=op.f("ck_outbox_destination"),
        ),
        _fk("outbox", "user_id", "users.id", "CASCADE"),
        _fk("outbox", "endpoint_id", "webhook_endpoints.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at"])
    op.create_index(op.f("ix_outbox_user_id"), "outbox", ["user_id"])
    op.create_index(op.f("ix_outbox_endpoint_id"), "outbox", ["endpoint_id"])
    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        _time("at"),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("reply", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('delivered', 'retry', 'failed', 'gone')",
            name=op.f("ck_outbox_attempts_outcome"),
        ),
        _fk("outbox_attempts", "outbox_id", "outbox.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempts")),
    )
    op.create_index(op.f("ix_outbox_attempts_outbox_id"), "outbox_attempts", ["outbox_id"])


def downgrade() -> None:
    op.drop_table("outbox_attempts")
    op.drop_table("outbox")
    op.drop_table("webhook_endpoints")
