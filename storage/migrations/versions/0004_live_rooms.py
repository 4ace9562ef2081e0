"""Live rooms: the per-room event log, messages with revisions, reactions and flags, mutes,
the agenda, the live session and the speaking queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{referred}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    with op.batch_alter_table("rooms") as rooms:
        rooms.add_column(
            sa.Column("last_event_seq", sa.Integer(), server_default="0", nullable=False)
        )
        rooms.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        rooms.add_column(
            sa.Column("slow_mode_seconds", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "room_events",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("room_events", "room_id", "rooms.id", "CASCADE"),
        _fk("room_events", "actor_user_id", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("room_id", "seq", name=op.f("pk_room_events")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_by", sa.Integer(), nullable=True),
        sa.Column("hidden_reason", sa.String(length=500), nullable=True),
        _fk("messages", "room_id", "rooms.id", "CASCADE"),
        _fk("messages", "author_id", "users.id", "SET NULL"),
        _fk("messages", "hidden_by", "users.id", "SET NULL"),
        _fk("messages", "parent_id", "messages.id", None),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(op.f("ix_messages_room_id"), "messages", ["room_id"])
    op.create_index(op.f("ix_messages_parent_id"), "messages", ["parent_id"])
    op.create_table(
        "message_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        _fk("message_revisions", "message_id", "messages.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_revisions")),
    )
    op.create_index(op.f("ix_message_revisions_message_id"), "message_revisions", ["message_id"])
    op.create_table(
        "message_reactions",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("emoji", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("message_reactions", "message_id", "messages.id", "CASCADE"),
        _fk("message_reactions", "user_id", "users.id", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "message_id", "user_id", "emoji", name=op.f("pk_message_reactions")
        ),
    )

    op.create_table(
        "room_mutes",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("muted_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        _fk("room_mutes", "room_id", "rooms.id", "CASCADE"),
        _fk("room_mutes", "user_id", "users.id", "CASCADE"),
        _fk("room_mutes", "muted_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_room_mutes")),
    )
    op.create_table(
        "message_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("flagged_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'resolved', 'dismissed')", name=op.f("ck_message_flags_state")
        ),
        _fk("message_flags", "room_id", "rooms.id", "CASCADE"),
        _fk("message_flags", "message_id", "messages.id", "CASCADE"),
        _fk("message_flags", "flagged_by", "users.id", "SET NULL"),
        _fk("message_flags", "resolved_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_flags")),
        sa.UniqueConstraint("message_id", "flagged_by", name=op.f("uq_message_flags_message_id")),
    )
    op.create_index(op.f("ix_message_flags_room_id"), "message_flags", ["room_id"])
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("agenda_items", "room_id", "rooms.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_items")),
    )
    op.create_index(op.f("ix_agenda_items_room_id"), "agenda_items", ["room_id"])
    op.create_table(
        "live_sessions",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("current_item_id", sa.Integer(), nullable=True),
        sa.Column("floor_user_id", sa.Integer(), nullable=True),
        sa.Column("floor_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("floor_seconds", sa.Integer(), nullable=True),
        _fk("live_sessions", "room_id", "rooms.id", "CASCADE"),
        _fk("live_sessions", "current_item_id", "agenda_items.id", "SET NULL"),
        _fk("live_sessions", "floor_user_id", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_live_sessions")),
    )
    op.create_table(
        "raised_hands",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        _fk("raised_hands", "room_id", "rooms.id", "CASCADE"),
        _fk("raised_hands", "user_id", "users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_raised_hands")),
    )


def downgrade() -> None:
    op.drop_table("raised_hands")
    op.drop_table("live_sessions")
    op.drop_table("agenda_items")
    op.drop_table("message_flags")
    op.drop_table("room_mutes")
    op.drop_table("message_reactions")
    op.drop_table("message_revisions")
    op.drop_table("messages")
    op.drop_table("room_events")
    with op.batch_alter_table("rooms") as rooms:
        rooms.drop_column("slow_mode_seconds")
        rooms.drop_column("locked_at")
        rooms.drop_column("last_event_seq")
