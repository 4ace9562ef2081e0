"""Webhook endpoints: registered by their owners, with secrets shown once and rotatable.

A rotation makes a new secret current and keeps the old one signing beside it for an
overlap (a day by default), so the receiver can switch to the new secret at its own pace:
during the overlap every request carries a signature by each. Endpoints of another user
are answered as not found. docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from server.outreach import (
    DeliveryNotFound,
    EndpointNotFound,
    InvalidOutreachInput,
    TooManyEndpoints,
)
from server.outreach.service import check_event_type
from server.outreach.webhooks import new_secret
from storage.models import utc_now
from storage.outreach import DeliveryAttempt, OutboxEntry, OutboxStore
from storage.outreach_models import ENDPOINT_DESCRIPTION_LENGTH, URL_LENGTH
from storage.webhook_endpoints import StoredEndpoint, WebhookEndpointStore

MAX_ENDPOINTS_PER_OWNER = 10
MAX_EVENT_TYPES = 32
DEFAULT_OVERLAP = timedelta(days=1)
MAX_OVERLAP = timedelta(days=7)
MAX_LOG_ROWS = 200


class WebhookEndpoints:
    """``allow_http``: accept ``http://`` URLs (development and tests); HTTPS otherwise."""

    def __init__(
        self,
        endpoints: WebhookEndpointStore,
        outbox: OutboxStore,
        *,
        clock: Callable[[], datetime] = utc_now,
        allow_http: bool = False,
        max_per_owner: int = MAX_ENDPOINTS_PER_OWNER,
    ) -> None:
        self._endpoints, self._outbox, self._clock = endpoints, outbox, clock
        self._schemes = ("https", "http") if allow_http else ("https",)
        self._max_per_owner = max_per_owner

    async def register(
        self,
        owner_id: int,
        url: str,
        *,
        description: str = "",
        event_types: Iterable[str] | None = None,
    ) -> tuple[StoredEndpoint, str]:
        """A new endpoint and its secret (``whsec_…``), which is never shown again."""
        self._check_url(url)
        if len(description) > ENDPOINT_DESCRIPTION_LENGTH:
            raise InvalidOutreachInput(
                "description", f"a description has at most {ENDPOINT_DESCRIPTION_LENGTH} chars"
            )
        types = None if event_types is None else sorted(set(event_types))
        if types is not None:
            if not 1 <= len(types) <= MAX_EVENT_TYPES:
                raise InvalidOutreachInput(
                    "event_types", f"1 to {MAX_EVENT_TYPES} event types (or none for all)"
                )
            for event_type in types:
                check_event_type(event_type)
        if await self._endpoints.count_enabled(owner_id) >= self._max_per_owner:
            raise TooManyEndpoints(self._max_per_owner)
        secret = new_secret()
        endpoint = await self._endpoints.create(
            owner_id, url, description, types, secret, self._clock()
        )
        return endpoint, secret

    async def owned_by(self, owner_id: int) -> list[StoredEndpoint]:
        return await self._endpoints.owned_by(owner_id)

    async def get(self, owner_id: int, endpoint_id: int) -> StoredEndpoint:
        endpoint = await self._endpoints.get(endpoint_id)
        if endpoint is None or endpoint.owner_id != owner_id:
            raise EndpointNotFound(endpoint_id)
        return endpoint

    async def rotate(
        self, owner_id: int, endpoint_id: int, *, overlap: timedelta = DEFAULT_OVERLAP
    ) -> tuple[StoredEndpoint, str]:
        """A new current secret; the replaced one signs too until ``overlap`` has passed
        (zero: it stops at once, for a secret that leaked)."""
        if not timedelta(0) <= overlap <= MAX_OVERLAP:
            raise InvalidOutreachInput("overlap", f"an overlap lasts 0 to {MAX_OVERLAP.days} days")
        await self.get(owner_id, endpoint_id)
        secret, now = new_secret(), self._clock()
        endpoint = await self._endpoints.rotate(endpoint_id, secret, now + overlap, now)
        if endpoint is None:
            raise EndpointNotFound(endpoint_id)
        return endpoint, secret

    async def disable(self, owner_id: int, endpoint_id: int) -> StoredEndpoint:
        await self.get(owner_id, endpoint_id)
        await self._endpoints.disable(endpoint_id, self._clock(), "disabled by its owner")
        return await self.get(owner_id, endpoint_id)

    async def enable(self, owner_id: int, endpoint_id: int) -> StoredEndpoint:
        endpoint = await self.get(owner_id, endpoint_id)
        if endpoint.disabled_at is not None:
            if await self._endpoints.count_enabled(owner_id) >= self._max_per_owner:
                raise TooManyEndpoints(self._max_per_owner)
            await self._endpoints.enable(endpoint_id)
        return await self.get(owner_id, endpoint_id)

    async def deliveries(
        self, owner_id: int, endpoint_id: int, limit: int = 50
    ) -> list[OutboxEntry]:
        """The newest deliveries to the endpoint, newest first."""
        await self.get(owner_id, endpoint_id)
        return await self._outbox.for_endpoint(endpoint_id, max(1, min(limit, MAX_LOG_ROWS)))

    async def attempts(self, owner_id: int, outbox_id: int) -> list[DeliveryAttempt]:
        """The delivery log of one of the owner's webhook deliveries."""
        entry = await self._outbox.get(outbox_id)
        if entry is None or entry.endpoint_id is None or entry.user_id != owner_id:
            raise DeliveryNotFound(outbox_id)
        return await self._outbox.attempts(outbox_id)

    def _check_url(self, url: str) -> None:
        schemes = " or ".join(self._schemes)
        try:
            parts = urlsplit(url)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            parts, port_ok = None, False
        if (
            parts is None
            or not port_ok
            or len(url) > URL_LENGTH
            or parts.scheme not in self._schemes
            or not parts.hostname
            or parts.username is not None
            or parts.fragment
            or any(c.isspace() or ord(c) < 32 for c in url)
        ):
            raise InvalidOutreachInput(
                "url", f"a webhook URL is an absolute {schemes} URL without credentials"
            )
