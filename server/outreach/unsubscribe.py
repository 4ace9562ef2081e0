"""Unsubscribe tokens: signed, not stored, so a link in an old e-mail keeps working.

A token names a user and what to stop: one subscription (its id) or ``all``. Its form is
``USER.SUBSCRIPTION.MAC`` with the MAC an HMAC-SHA256 over a prefix of its own and the first
two parts, so a token signed for another purpose with the same key never verifies here.
Tokens do not expire: unsubscribing must work as long as the e-mail does, and the worst a
leaked token allows is to unsubscribe its user (RFC 8058's one-click POST needs no sign-in).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal

from server.outreach import InvalidUnsubscribeLink

_DOMAIN = b"veche.unsubscribe.v1\x00"
_FORM = re.compile(r"([1-9][0-9]{0,18})\.(all|[1-9][0-9]{0,18})\.([A-Za-z0-9_-]{43})")
MAX_TOKEN_LENGTH = 100
ALL: Literal["all"] = "all"


@dataclass(frozen=True)
class Unsubscription:
    """What a verified token asks: stop ``subscription`` (an id, or ``all``) for ``user_id``."""

    user_id: int
    subscription: int | Literal["all"]


class UnsubscribeTokens:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the unsubscribe signing key must be at least 16 bytes")
        self._key = key

    def issue(self, user_id: int, subscription: int | Literal["all"] = ALL) -> str:
        if user_id < 1 or (subscription != ALL and int(subscription) < 1):
            raise ValueError("user and subscription ids are positive")
        body = f"{user_id}.{subscription}"
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str) -> Unsubscription:
        """The request a token this key signed carries; InvalidUnsubscribeLink otherwise."""
        match = _FORM.fullmatch(token) if len(token) <= MAX_TOKEN_LENGTH else None
        if match is None:
            raise InvalidUnsubscribeLink("malformed token")
        user, subscription, mac = match.groups()
        if not hmac.compare_digest(mac, self._mac(f"{user}.{subscription}")):
            raise InvalidUnsubscribeLink("bad signature")
        return Unsubscription(int(user), ALL if subscription == ALL else int(subscription))

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, _DOMAIN + body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
