"""How one delivery attempt ended, as the transports report it to the worker."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"  # 2xx, or the SMTP server took the message
    RETRY = "retry"  # worth trying again later: 4xx/5xx, timeouts, refused connections
    FAILED = "failed"  # never worth trying again (or the last retry failed)
    GONE = "gone"  # the webhook receiver answered 410: its endpoint is disabled


@dataclass(frozen=True)
class Reply:
    """What the other side answered: an HTTP status or SMTP code, and text (bounded)."""

    outcome: Outcome
    status: int | None
    text: str | None
