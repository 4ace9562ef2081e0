"""Notices (issue 14; docs/notifications.md): what people follow (an address, subscriptions
to everything, an oblast, a sector, a room or an organisation) and the announcing of new
consultations, deadlines three days ahead, published reports and decisions — by e-mail and
webhooks through the outbox (server/outreach/), and as Atom and iCalendar feeds. Errors::

    NoticesError                   root
     ├── SubscriptionNotFound      NotFound: no such subscription of the caller's
     └── InvalidSubscription       Invalid: an unknown kind or target; ``field`` names it
"""

from __future__ import annotations

from server.errors import DomainError, Invalid, NotFound
from server.i18n import translatable

N_ = translatable("problems")


class NoticesError(DomainError):
    """Root of the errors of ``server.notices``."""


class SubscriptionNotFound(NoticesError, NotFound):
    title = N_("Subscription not found")

    def __init__(self) -> None:
        super().__init__("no such subscription of yours", slug="subscription-not-found")


class InvalidSubscription(NoticesError, Invalid):
    """A value that cannot be accepted; ``field`` names it."""
