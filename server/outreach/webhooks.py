"""One webhook: a JSON body POSTed with Standard Webhooks signatures (standardwebhooks, httpx).

Each request carries ``webhook-id`` (the outbox message id: the same on every retry, so a
receiver de-duplicates by it), ``webhook-timestamp`` (when this attempt was made, in whole
seconds) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body`` for
each secret that signs now, separated by spaces — two during a rotation's overlap, so a
receiver holding either secret verifies. The body is the same bytes on every attempt.

Redirects are not followed (a receiver that moved must be registered again), and at most
`MAX_REPLY_BYTES` of an answer are read, for the delivery log.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from math import floor
from typing import Any

import httpx
from standardwebhooks import Webhook

from server.outreach import InvalidOutreachInput
from server.outreach.outcomes import Outcome, Reply

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_REPLY_BYTES = 4096
REPLY_TEXT = 500  # characters of an answer kept for the delivery log
USER_AGENT = "Veche-Webhooks/1"


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form: ``whsec_`` + base64 of 32 bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def check_secret(secret: str) -> None:
    """Refuse a secret that is not ``whsec_`` + base64 of 24 to 64 bytes."""
    try:
        if not secret.startswith(SECRET_PREFIX):
            raise ValueError("no prefix")
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise InvalidOutreachInput("secret", "a secret is whsec_ followed by base64") from None
    if not 24 <= len(key) <= 64:
        raise InvalidOutreachInput("secret", "a secret holds 24 to 64 bytes")


def envelope(event_type: str, data: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """The body of an event, in the convention's shape: its type, when it happened, its data."""
    return {"type": event_type, "timestamp": at.isoformat(), "data": dict(data)}


def body_of(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed): compact JSON in UTF-8, keys in stored order."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(
    message_id: str, timestamp: datetime, body: bytes, signing: Sequence[str]
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed with every secret in ``signing``."""
    if not signing:
        raise ValueError("a webhook needs at least one secret")
    signature = " ".join(Webhook(s).sign(message_id, timestamp, body) for s in signing)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(floor(timestamp.timestamp())),
        "webhook-signature": signature,
    }


class WebhookSender:
    """POSTs webhooks through one pooled httpx client; `aclose` when the process stops."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_connections: int = 8,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._max_reply_bytes = max_reply_bytes
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max_connections),
            headers={"user-agent": user_agent},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """POST ``body``: 2xx is delivered, 410 gone, anything else (or no answer) a retry."""
        try:
            async with self._client.stream("POST", url, content=body, headers=headers) as answer:
                excerpt = await self._excerpt(answer)
                status = answer.status_code
        except httpx.HTTPError as error:
            return Reply(Outcome.RETRY, None, f"{type(error).__name__}: {error}"[:REPLY_TEXT])
        if 200 <= status < 300:
            outcome = Outcome.DELIVERED
        elif status == 410:
            outcome = Outcome.GONE
        else:
            outcome = Outcome.RETRY
        return Reply(outcome, status, excerpt or None)

    async def _excerpt(self, answer: httpx.Response) -> str:
        read = bytearray()
        async for chunk in answer.aiter_raw():
            read += chunk[: self._max_reply_bytes - len(read)]
            if len(read) >= self._max_reply_bytes:
                break
        return read.decode("utf-8", errors="replace")[:REPLY_TEXT]
