"""ASGI middleware around every HTTP request: the body limit and the headers every answer
carries (docs/http-limits.md).

`BodyLimit` refuses a body larger than its route's limit with 413 problem+json *before* it
is read whole: a declared `Content-Length` over the limit is answered at once without
reading a byte of the body (and the connection is closed, so the rest is never read), and a
body without one (chunked) is counted as its chunks arrive and refused at the first chunk
that crosses the limit. Before this, a 200 MiB anonymous login was buffered whole (RSS 80 →
944 MiB). Starlette 1.10's own `RequestBodyLimitMiddleware` is not used: on an oversize
`Content-Length` it runs the app until the app reads or answers, it answers in plain text,
and it has one limit where the anonymous routes want a smaller one.

`SecurityHeaders` adds `X-Content-Type-Options: nosniff` to every answer, so a browser never
takes user text (a decision record's Markdown, a problem body) for HTML or script.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.http.problems import Problem, problem_response, request_locale
from server.i18n import translatable

N_ = translatable("problems")

AUTH_PREFIX = "/api/v1/auth/"
NOSNIFF = (b"x-content-type-options", b"nosniff")


class BodyTooLarge(Exception):
    """The body grew past its limit while the application was reading it."""


def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "body-too-large",
        N_("Request body too large"),
        N_("the request body must be at most {limit} bytes"),
        values={"limit": limit},
        limit=limit,
        headers={"Connection": "close"},
    )


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The `Content-Length` header (None if absent; -1 if it is not a number) and whether
    the body comes with a `Transfer-Encoding` (chunked), which frames it whatever the length
    says (RFC 9112 §6.3)."""
    length, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length" and length is None:
            text = value.decode("latin-1").strip()
            # uvicorn has checked the syntax already; a huge digit string must not cost CPU
            length = int(text) if text.isascii() and text.isdigit() and len(text) < 19 else -1
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


class BodyLimit:
    """413 for a request body over `limit` bytes (`auth_limit` under /api/v1/auth/)."""

    def __init__(self, app: ASGIApp, *, limit: int, auth_limit: int) -> None:
        self.app, self.limit, self.auth_limit = app, limit, auth_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.auth_limit if path.startswith(AUTH_PREFIX) else self.limit
        declared, chunked = _framing(scope)
        if declared is not None and not 0 <= declared <= limit:
            await _refuse(scope, receive, send, limit)
            return
        if not chunked:
            # the body is the declared length, or empty without one (RFC 9112 §6.3): uvicorn
            # hands over no more, so there is nothing to count
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:  # an answer is under way; the connection can only be dropped
                raise
            await _refuse(scope, receive, send, limit)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    locale = request_locale(Headers(scope=scope))
    await problem_response(too_large(limit), scope["path"], locale)(scope, receive, send)


class SecurityHeaders:
    """`X-Content-Type-Options: nosniff` on every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != NOSNIFF[0]]
                message = {**message, "headers": [*headers, NOSNIFF]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
