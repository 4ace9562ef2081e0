"""The browser's session cookie (DESIGN §2.5): the refresh token in an HttpOnly,
SameSite=Strict cookie scoped to `/api/v1/auth`, Secure over https; the access token stays in
the page's memory. A request that the cookie authenticates must carry this site's Origin (or
one of `VECHE_ALLOWED_ORIGINS`): SameSite=Strict keeps the cookie off cross-site requests in
current browsers, and the Origin check covers the rest (docs/web.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.accounts import CrossSiteRequest
from server.origins import origin_allowed

COOKIE = "veche_session"
COOKIE_PATH = "/api/v1/auth"


def cookie_token(request: Request) -> str | None:
    """The refresh token of the session cookie, after the CSRF check; None without a cookie."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    origin = request.headers.get("origin")
    allowed: tuple[str, ...] = request.app.state.services.settings.allowed_origins
    # a browser always sends Origin on a POST; a missing one is not trusted with the cookie
    if origin is None or not origin_allowed(origin, request.headers.get("host"), allowed):
        raise CrossSiteRequest()
    return token


def keep_session(response: Response, request: Request, refresh_token: str, seconds: int) -> None:
    response.set_cookie(
        COOKIE,
        refresh_token,
        max_age=seconds,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def end_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
