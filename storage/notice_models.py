"""ORM models of what people follow: their e-mail address for notices and their
subscriptions (to everything, an oblast, a sector, a room or an organisation).

Which events were already turned into notices is kept on the events' own rows
(``consultations.opened_noticed_at`` …, ``decisions.noticed_at``), so that a notice is queued
exactly once, in the transaction that marks it (docs/notifications.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UtcDateTime

SUBSCRIPTION_KINDS = ("all", "region", "sector", "room", "organisation")
EMAIL_LENGTH = 254


class NoticeAddressRecord(Base):
    __tablename__ = "notice_addresses"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SubscriptionRecord(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "target"),
        CheckConstraint("kind IN ('all', 'region', 'sector', 'room', 'organisation')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(80))  # "" for "all"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
