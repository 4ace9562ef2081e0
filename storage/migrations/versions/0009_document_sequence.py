"""Documents count their own sequence numbers: the next number of an update is taken in the
transaction that stores it, so that several nodes writing one document never take the same
number and numbers become visible in order. They also remember their newest checkpoint, so
that no node stores an older one after it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    for column in ("last_seq", "checkpoint_seq"):
        op.add_column(
            "documents", sa.Column(column, sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        """
        UPDATE documents SET last_seq = COALESCE((
            SELECT MAX(seq) FROM (
                SELECT seq FROM document_updates WHERE document_id = documents.id
                UNION ALL
                SELECT seq FROM document_checkpoints WHERE document_id = documents.id
            ) AS numbered
        ), 0),
        checkpoint_seq = COALESCE((
            SELECT MAX(seq) FROM document_checkpoints WHERE document_id = documents.id
        ), 0)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.drop_column("checkpoint_seq")
        table.drop_column("last_seq")
