"""ORM models of live rooms: the discussion (messages, their revisions and reactions),
moderation (mutes, flags) and the live session (agenda, the session's state, raised hands)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import EMOJI_LENGTH, REASON_LENGTH, TITLE_LENGTH, Base, UtcDateTime


class MessageRecord(Base):
    """A discussion message (Markdown source); ``parent_id`` makes it a reply in a thread.
    Deleting keeps the row (threads stay whole) and drops the body."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # hidden by a moderator: moderators still see it, everyone else sees that it was hidden
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hidden_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH))


class MessageRevisionRecord(Base):
    """An earlier body of an edited message: the text as it was until ``replaced_at``."""

    __tablename__ = "message_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MessageReactionRecord(Base):
    """One user's reaction (an emoji) to a message; at most one of each emoji per user."""

    __tablename__ = "message_reactions"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(EMOJI_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RoomMuteRecord(Base):
    """A member muted in a room until a time: they read but may not post or react."""

    __tablename__ = "room_mutes"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[datetime] = mapped_column(UtcDateTime())
    muted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))


class MessageFlagRecord(Base):
    """A member's flag on a message, with a reason; moderators resolve or dismiss it."""

    __tablename__ = "message_flags"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'resolved', 'dismissed')", name="state"),
        UniqueConstraint("message_id", "flagged_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    flagged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), default="open")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolution: Mapped[str | None] = mapped_column(String(REASON_LENGTH))


class AgendaItemRecord(Base):
    """An item of a live session's agenda, in ``position`` order."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LiveSessionRecord(Base):
    """The state of a room's live session: the current agenda item and who has the floor."""

    __tablename__ = "live_sessions"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    floor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    floor_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    floor_seconds: Mapped[int | None] = mapped_column(Integer)


class RaisedHandRecord(Base):
    """A hand raised in the speaking queue; the queue is in ``raised_at`` order."""

    __tablename__ = "raised_hands"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
