"""What WebSocket upgrades are judged by before their path: the browser's Origin and the
caller's token (both transports, /yjs/ and /live/, use these)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...]) -> bool:
    """A browser's Origin must be this server's own or one of `VECHE_ALLOWED_ORIGINS`
    (`*`: any). No Origin header: not a browser, judged by its token alone."""
    if origin is None:
        return True
    if "*" in allowed or origin.rstrip("/") in {a.rstrip("/") for a in allowed}:
        return True
    netloc = urlsplit(origin).netloc
    return bool(netloc) and host is not None and netloc.lower() == host.lower()


def upgrade_token(query: str, headers: Mapping[str, str]) -> str | None:
    """`?token=` (what the stock y-websocket client sends), else `Authorization: Bearer`."""
    values = parse_qs(query).get("token")
    if values and values[0]:
        return values[0]
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None
