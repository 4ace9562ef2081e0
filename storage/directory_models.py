"""ORM models of the directory: organisations, their sectors and their representatives.

Kinds, sectors and places are slugs and codes checked by the domain (server/directory/); the
database keeps them as plain strings. ``search_words`` is the organisation's search index: its
words as Latin search keys, each preceded by a space, so a query word is found by
``LIKE '% word%'`` the same way on SQLite and PostgreSQL (docs/directory.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import DESCRIPTION_LENGTH, TITLE_LENGTH, Base, UtcDateTime

ORGANISATION_SLUG_LENGTH = 80
REGISTRATION_LENGTH = 13
KIND_LENGTH = 24
SECTOR_LENGTH = 32
WEBSITE_LENGTH = 300
EMAIL_LENGTH = 254
PHONE_LENGTH = 32
REPRESENTATIVE_STATES = ("pending", "confirmed")


class OrganisationRecord(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(ORGANISATION_SLUG_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH), index=True)
    registration_number: Mapped[str | None] = mapped_column(
        String(REGISTRATION_LENGTH), unique=True
    )
    oblast: Mapped[str | None] = mapped_column(String(3), index=True)
    municipality: Mapped[str | None] = mapped_column(String(5), index=True)
    description: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH))
    website: Mapped[str | None] = mapped_column(String(WEBSITE_LENGTH))
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH))
    sort_name: Mapped[str] = mapped_column(String(TITLE_LENGTH))  # case-folded name: the order
    search_words: Mapped[str] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OrganisationSectorRecord(Base):
    __tablename__ = "organisation_sectors"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    sector: Mapped[str] = mapped_column(String(SECTOR_LENGTH), primary_key=True, index=True)


class RepresentativeRecord(Base):
    """A user who speaks for an organisation once ``confirmed`` (by one of its confirmed
    representatives or an administrator); ``pending`` is a request not yet answered."""

    __tablename__ = "organisation_representatives"
    __table_args__ = (CheckConstraint("state IN ('pending', 'confirmed')", name="state"),)

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
