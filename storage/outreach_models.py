"""ORM models of outreach: the outbox of deliveries, webhook endpoints and the delivery log.

The outbox is the durable queue between an event and the people or systems told about it:
each row is one message to one destination (an e-mail address or a webhook endpoint), added
in the transaction of the change it announces. A row is *pending* until delivered or given
up (*failed*); ``lease`` marks a row claimed by a worker until ``next_attempt_at``, so a row
claimed by a process that died becomes due again when that time passes. Every attempt leaves
one row in ``outbox_attempts``. docs/notifications.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UtcDateTime

CHANNELS = ("email", "webhook")
DELIVERY_STATES = ("pending", "delivered", "failed")
ATTEMPT_OUTCOMES = ("delivered", "retry", "failed", "gone")
MESSAGE_ID_LENGTH = 64
EVENT_TYPE_LENGTH = 64
ADDRESS_LENGTH = 320  # RFC 5321: 64 + "@" + 255
URL_LENGTH = 2048
ENDPOINT_DESCRIPTION_LENGTH = 500
SECRET_LENGTH = 100  # "whsec_" + base64 of 32 to 64 bytes
LEASE_LENGTH = 32
ERROR_LENGTH = 500


class WebhookEndpointRecord(Base):
    """Where a user wants events POSTed, which types (``None``: all), and the secrets that
    sign them: during a rotation the previous secret signs too, until ``previous_secret_until``.
    The secrets are kept as given (they sign, so a hash would not do)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH))
    description: Mapped[str] = mapped_column(String(ENDPOINT_DESCRIPTION_LENGTH))
    event_types: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    secret: Mapped[str] = mapped_column(String(SECRET_LENGTH))
    previous_secret: Mapped[str | None] = mapped_column(String(SECRET_LENGTH))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))


class OutboxRecord(Base):
    """One message to one destination, until it is delivered or given up."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="state"),
        CheckConstraint(
            "(channel = 'email' AND recipient IS NOT NULL)"
            " OR (channel = 'webhook' AND endpoint_id IS NOT NULL)",
            name="destination",
        ),
        # the worker's one question: which pending rows are due, oldest first
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # the idempotency key and the receiver's de-duplication key (`webhook-id`, `Message-ID`)
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID_LENGTH), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(EVENT_TYPE_LENGTH))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)  # attempts started, a crashed one included
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lease: Mapped[str | None] = mapped_column(String(LEASE_LENGTH))
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveryAttemptRecord(Base):
    """One attempt at one outbox row: when, how it ended, what the other side answered."""

    __tablename__ = "outbox_attempts"
    __table_args__ = (
        CheckConstraint("outcome IN ('delivered', 'retry', 'failed', 'gone')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[int | None] = mapped_column(Integer)  # HTTP status or SMTP reply code
    reply: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))  # reply text or error
    duration_ms: Mapped[int] = mapped_column(Integer)
