"""ORM model of a room's planned live sessions: what the calendar feeds announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import TITLE_LENGTH, Base, UtcDateTime


class PlannedSessionRecord(Base):
    __tablename__ = "planned_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
