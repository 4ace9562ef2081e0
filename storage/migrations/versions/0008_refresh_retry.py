"""Sessions remember the refresh token they replaced last, and when, so that a refresh whose
answer was lost can be retried for a few seconds without revoking the session.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions") as table:
        table.add_column(sa.Column("previous_refresh_token_hash", sa.String(64), nullable=True))
        table.add_column(sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions") as table:
        table.drop_column("rotated_at")
        table.drop_column("previous_refresh_token_hash")
