"""Signed tokens with the standard library: ``base64url(JSON payload) "." base64url(HMAC)``.

The MAC is HMAC-SHA256 over a domain prefix and the encoded payload, so tokens signed for
another purpose with the same key never verify here. The payload is readable by anyone
holding the token; it carries ids and times, never secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from server.accounts import InvalidToken

_DOMAIN = b"veche.token.v1."


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the signing key must be at least 16 bytes")
        self._key = key

    def sign(self, payload: dict[str, Any]) -> str:
        body = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str) -> dict[str, Any]:
        """The payload of a token this key signed; InvalidToken otherwise (no expiry check)."""
        body, dot, mac = token.partition(".")
        if not dot or not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidToken("bad signature")
        try:
            payload = json.loads(_b64decode(body))
        except (ValueError, binascii.Error):
            raise InvalidToken("malformed token") from None
        if not isinstance(payload, dict):
            raise InvalidToken("malformed token")
        return payload

    def _mac(self, body: str) -> str:
        return _b64encode(hmac.new(self._key, _DOMAIN + body.encode(), hashlib.sha256).digest())


def secret_hash(secret: str) -> str:
    """The hex SHA-256 under which a refresh or API token is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()
