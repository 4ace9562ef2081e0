"""ORM models of decisions: proposals, polls, their electorate and ballots, decision records.

Secret ballots are stored apart from the people who cast them: `secret_ballots` has a random
key, a receipt's SHA-256 and the choice, and nothing else — no voter, no time, no sequence —
and is stored without a rowid on SQLite (rows ordered by the random key). Who voted is in
`poll_voters` with no time either. docs/secret-ballots.md says what this protects and what not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import TITLE_LENGTH, Base, UtcDateTime

PROPOSAL_STATES = ("draft", "discussion", "voting", "adopted", "rejected", "withdrawn")
POLL_STATES = ("scheduled", "open", "closed")
WRITABLE_STATES = ("draft", "discussion")  # a proposal's body is edited only in these
HASH_LENGTH = 64  # hex SHA-256
METHOD_LENGTH = 32


class ProposalRecord(Base):
    """A proposal: a title and a body document, moving through its lifecycle."""

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'discussion', 'voting', 'adopted', 'rejected', 'withdrawn')",
            name="state",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    # an amendment: its body is a fork of this proposal's body, merged into it when adopted
    amends_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PollRecord(Base):
    """A vote: its method, options and rules, the version of the body it binds to (for a
    proposal's vote), its times, and its state."""

    __tablename__ = "polls"
    __table_args__ = (CheckConstraint("state IN ('scheduled', 'open', 'closed')", name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    method: Mapped[str] = mapped_column(String(METHOD_LENGTH))
    options: Mapped[list[Any]] = mapped_column(JSON)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="open")
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    electorate_size: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # the body as it was frozen for the vote (proposal polls)
    body_seq: Mapped[int | None] = mapped_column(Integer)
    body_state_vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_state_sha256: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    body_text_sha256: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    body_text: Mapped[str | None] = mapped_column(Text)


class PollVoterRecord(Base):
    """A member of a poll's electorate (fixed when it opened) and whether they voted."""

    __tablename__ = "poll_voters"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    voted: Mapped[bool] = mapped_column(Boolean, default=False)


class BallotRecord(Base):
    """A named ballot: who chose what, and when it was last changed."""

    __tablename__ = "ballots"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    choice: Mapped[Any] = mapped_column(JSON, nullable=True)  # None: a blank ballot
    cast_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SecretBallotRecord(Base):
    """A secret ballot: the choice and the SHA-256 of its receipt code, and nothing else."""

    __tablename__ = "secret_ballots"
    __table_args__ = (
        UniqueConstraint("receipt_sha256"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, never ordered
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    receipt_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    choice: Mapped[Any] = mapped_column(JSON, nullable=True)  # None: a blank ballot


class DecisionRecord(Base):
    """The immutable record of a closed poll, chained per room: ``record_sha256`` is the
    SHA-256 of ``record_json`` (canonical JSON), which contains the previous record's hash."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("room_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … in the room's chain
    # the poll it closed; None for a record of another kind (a consultation report)
    poll_id: Mapped[int | None] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), unique=True
    )
    previous_sha256: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    record_json: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    record_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    noticed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # notices queued
