"""ORM models: documents and their log; accounts, tokens, the audit log; rooms and their
events. The other concepts have modules of their own (``*_models.py``); storage/schema.py
imports them all, for a MetaData that holds every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAME_LENGTH = 255
AUTHOR_LENGTH = 255
ORIGIN_LENGTH = 32
USER_NAME_LENGTH = 64
DISPLAY_NAME_LENGTH = 255
SESSION_ID_LENGTH = 32
SECRET_HASH_LENGTH = 64  # hex SHA-256
TOKEN_LABEL_LENGTH = 100
ACTION_LENGTH = 64
ADDRESS_LENGTH = 64
LOCALES = ("bg", "en")
SLUG_LENGTH = 64
TITLE_LENGTH = 200
DESCRIPTION_LENGTH = 4000
ROLE_LENGTH = 16
ROLES = ("owner", "moderator", "participant", "observer")
EVENT_TYPE_LENGTH = 40
REASON_LENGTH = 500
FLAG_STATES = ("open", "resolved", "dismissed")
EMOJI_LENGTH = 32
VISIBILITIES = ("public", "private")

# Deterministic constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC.

    SQLite has no timezone type and returns naive values; they are UTC by construction and
    come back tagged as such. Naive values are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DocumentRecord(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    # the highest sequence number taken; raised in the transaction that stores updates, so
    # that nodes sharing the database number one document's updates without collisions
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # the newest checkpoint's number: a checkpoint at or below it is not stored (any node)
    checkpoint_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class UpdateRecord(Base):
    """One Yjs update as received; the log is append-only and is the document's history."""

    __tablename__ = "document_updates"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    author: Mapped[str | None] = mapped_column(String(AUTHOR_LENGTH))
    client_id: Mapped[int | None] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(String(ORIGIN_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CheckpointRecord(Base):
    """The full encoded state of a document including every update with ``seq`` <= this."""

    __tablename__ = "document_checkpoints"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[bytes] = mapped_column(LargeBinary)


class UserRecord(Base):
    """An account. ``password_hash`` is an argon2id hash, or None (API tokens only)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("locale IN ('bg', 'en')", name="locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(USER_NAME_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_LENGTH))
    locale: Mapped[str] = mapped_column(String(2), default="bg", server_default="bg")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class AuthSessionRecord(Base):
    """A sign-in: the current refresh token's SHA-256; access tokens name the session. The
    token it replaced, and when, let a refresh whose answer was lost be retried briefly."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(SESSION_ID_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_token_hash: Mapped[str] = mapped_column(String(SECRET_HASH_LENGTH), unique=True)
    previous_refresh_token_hash: Mapped[str | None] = mapped_column(String(SECRET_HASH_LENGTH))
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiTokenRecord(Base):
    """A long-lived token for bots and integrations; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(TOKEN_LABEL_LENGTH))
    token_hash: Mapped[str] = mapped_column(String(SECRET_HASH_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditEventRecord(Base):
    """One security or governance event; the table is append-only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    room_id: Mapped[int | None] = mapped_column(Integer)  # rooms arrive in the next part
    address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class RoomRecord(Base):
    """A room: a space for a working group; public (anyone reads) or private (members)."""

    __tablename__ = "rooms"
    __table_args__ = (CheckConstraint("visibility IN ('public', 'private')", name="visibility"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH), default="")
    visibility: Mapped[str] = mapped_column(String(8))
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # the sequence number of the room's newest event (room_events); bumped in each event's
    # transaction, so numbers are gap-free and ordered across processes
    last_event_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # live-room moderation: locked (read-only for non-moderators) since; seconds a member
    # waits between two messages (0: no slow mode)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


_ROLE_CHECK = "role IN ('owner', 'moderator', 'participant', 'observer')"


class RoomMemberRecord(Base):
    """A user's one role in a room."""

    __tablename__ = "room_members"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(ROLE_LENGTH))


class RoomInvitationRecord(Base):
    """An invite link: only the SHA-256 of its token is stored; usable once, until expiry."""

    __tablename__ = "room_invitations"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(SECRET_HASH_LENGTH), unique=True)
    role: Mapped[str] = mapped_column(String(ROLE_LENGTH))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RoomDocumentRecord(Base):
    """A document belongs to exactly one room."""

    __tablename__ = "room_documents"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )


class RoomEventRecord(Base):
    """One event of a room's live history, numbered per room: what a reconnecting client
    replays from (``seq`` after the last one it saw)."""

    __tablename__ = "room_events"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(EVENT_TYPE_LENGTH))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


COMMENT_LENGTH = 10000


class DocumentForkRecord(Base):
    """A document forked from another (an amendment of its base): the base's state vector and
    sequence number when it was forked, and its merge back into the base, if any."""

    __tablename__ = "document_forks"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    base_document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    base_state_vector: Mapped[bytes] = mapped_column(LargeBinary)
    base_seq: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # the latest merge that changed the base: when, by whom, and the base's update seq
    merged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    merged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_seq: Mapped[int | None] = mapped_column(BigInteger)


class DocumentCommentRecord(Base):
    """A comment on a range of a root Y.Text, anchored by two Yjs relative positions (start
    sticks to the range's first character, end to its last); ``quote`` is the text it had."""

    __tablename__ = "document_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    root: Mapped[str] = mapped_column(String(NAME_LENGTH))
    start_position: Mapped[bytes] = mapped_column(LargeBinary)
    end_position: Mapped[bytes] = mapped_column(LargeBinary)
    quote: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
