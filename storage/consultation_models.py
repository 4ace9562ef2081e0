"""ORM models of public consultations: a proposal opened for comments until a deadline, the
link of each comment to its consultation (and the organisation it speaks for), and the
authority's response to it.

A consultation's comments are the proposal body's anchored comments (``document_comments``);
``consultation_comments`` adds what a consultation needs: on whose behalf, the response and
its reason. The published report is stored as it was hashed (``report_json``), so every
format of it is rendered from the very bytes in the room's decision chain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.decision_models import HASH_LENGTH
from storage.models import REASON_LENGTH, Base, UtcDateTime

CONSULTATION_STATES = ("open", "closed", "reported")
RESPONSES = ("accepted", "partly_accepted", "not_accepted")


class ConsultationRecord(Base):
    __tablename__ = "consultations"
    __table_args__ = (CheckConstraint("state IN ('open', 'closed', 'reported')", name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH))  # why under 30 days
    # whom it concerns: an oblast's code (None: the whole country) and sectors' slugs, what
    # subscriptions by region and sector match (docs/notifications.md)
    oblast: Mapped[str | None] = mapped_column(String(3), index=True)
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    report_json: Mapped[str | None] = mapped_column(Text)  # canonical JSON, hashed as stored
    report_sha256: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    decision_position: Mapped[int | None] = mapped_column(Integer)  # in the room's chain
    # when each event was turned into notices (None: not yet; docs/notifications.md)
    opened_noticed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reported_noticed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ConsultationCommentRecord(Base):
    __tablename__ = "consultation_comments"
    __table_args__ = (
        CheckConstraint(
            "response IS NULL OR response IN ('accepted', 'partly_accepted', 'not_accepted')",
            name="response",
        ),
    )

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("document_comments.id", ondelete="CASCADE"), primary_key=True
    )
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    response: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    responded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
