"""Outreach: telling people and systems what happened — e-mail and webhooks from a durable
outbox, Atom and iCalendar feeds. Generic machinery: the producers of events decide what to
say and to whom; this package delivers it (docs/notifications.md).

- ``service.py``: `Outreach`, enqueueing e-mails and webhook events in the caller's transaction
- ``endpoints.py``: `WebhookEndpoints`, registering endpoints and rotating their secrets
- ``worker.py``: `OutboxWorker`, the background loop that delivers, retries and logs
- ``email.py``, ``webhooks.py``: composing and sending one e-mail or one signed POST
- ``unsubscribe.py``: signed unsubscribe tokens; ``feeds.py``: Atom and iCalendar

Errors (kinds from ``server.errors``)::

    OutreachError               root
     ├── InvalidOutreachInput   Invalid: a value that cannot be accepted; ``field`` names it
     ├── InvalidUnsubscribeLink Invalid: an unsubscribe token this server did not sign
     ├── EndpointNotFound       NotFound: no webhook endpoint of the caller with that id
     ├── DeliveryNotFound       NotFound: no webhook delivery to the caller with that id
     └── TooManyEndpoints       Conflict: the owner has the most enabled endpoints allowed
"""

from __future__ import annotations

from server.errors import Conflict, DomainError, Invalid, NotFound


class OutreachError(DomainError):
    """Root of the errors of ``server.outreach``."""


class InvalidOutreachInput(OutreachError, Invalid):
    """A value that cannot be accepted; ``field`` names it."""


class InvalidUnsubscribeLink(OutreachError, Invalid):
    def __init__(self, reason: str) -> None:
        super().__init__(
            "token", "the unsubscribe link is invalid", slug="invalid-unsubscribe-link"
        )
        self.args = (reason,)


class EndpointNotFound(OutreachError, NotFound):
    def __init__(self, endpoint_id: int) -> None:
        super().__init__(f"no webhook endpoint {endpoint_id}", slug="webhook-endpoint-not-found")


class DeliveryNotFound(OutreachError, NotFound):
    def __init__(self, outbox_id: int) -> None:
        super().__init__(f"no webhook delivery {outbox_id}", slug="webhook-delivery-not-found")


class TooManyEndpoints(OutreachError, Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"at most {limit} enabled webhook endpoints per user", slug="too-many-webhook-endpoints"
        )
