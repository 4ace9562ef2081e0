"""The directory of civil-society organisations: organisations, their sectors and the users
who represent them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
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
        "organisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("registration_number", sa.String(length=13), nullable=True),
        sa.Column("oblast", sa.String(length=3), nullable=True),
        sa.Column("municipality", sa.String(length=5), nullable=True),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("sort_name", sa.String(length=200), nullable=False),
        sa.Column("search_words", sa.Text(), nullable=False),
        _time("verified_at", nullable=True),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        _fk("organisations", "verified_by", "users.id", "SET NULL"),
        _fk("organisations", "created_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
        sa.UniqueConstraint(
            "registration_number", name=op.f("uq_organisations_registration_number")
        ),
    )
    for column in ("kind", "oblast", "municipality"):
        op.create_index(op.f(f"ix_organisations_{column}"), "organisations", [column])
    op.create_table(
        "organisation_sectors",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        _fk("organisation_sectors", "organisation_id", "organisations.id", "CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id", "sector", name=op.f("pk_organisation_sectors")),
    )
    op.create_index(op.f("ix_organisation_sectors_sector"), "organisation_sectors", ["sector"])
    op.create_table(
        "organisation_representatives",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _time("requested_at"),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        _time("confirmed_at", nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'confirmed')", name=op.f("ck_organisation_representatives_state")
        ),
        _fk("organisation_representatives", "organisation_id", "organisations.id", "CASCADE"),
        _fk("organisation_representatives", "user_id", "users.id", "CASCADE"),
        _fk("organisation_representatives", "confirmed_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint(
            "organisation_id", "user_id", name=op.f("pk_organisation_representatives")
        ),
    )
    op.create_index(
        op.f("ix_organisation_representatives_user_id"),
        "organisation_representatives",
        ["user_id"],
    )


def downgrade() -> None:
    op.drop_table("organisation_representatives")
    op.drop_table("organisation_sectors")
    op.drop_table("organisations")
