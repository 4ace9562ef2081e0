"""RFC 9457 problem details: every API error leaves through here.

A problem's `title` (and its `detail`, when that is a fixed sentence of the edge) is English
in the code, a text of the `problems` catalog, and is answered in the request's language:
`Accept-Language` decides, since the signed-in user's stored locale would cost a database
read on every error; the browser app sends the language its user chose (docs/i18n.md).
`type`, `status` and the other members never change with the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.i18n import negotiate, translatable, translator

N_ = translatable("problems")
PROBLEM_TYPE_PREFIX = "urn:veche:problem:"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An error for an API client: `status`, a stable `slug` (the type URI) and a detail.

    `title` is a text of the `problems` catalog. With `values`, `detail` is one too and its
    `{placeholders}` are filled from them; without, `detail` is translated if the catalog has
    it (a marked fixed sentence) and kept as it is otherwise. `self.detail` is the English."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        values: Mapping[str, object] | None = None,
        **extra: Any,
    ) -> None:
        english = detail.format(**values) if values is not None else detail
        super().__init__(english)
        self.headers, self.values, self.message = headers, values, detail
        self.status, self.slug, self.title, self.detail, self.extra = (
            status,
            slug,
            title,
            english,
            extra,
        )


def request_locale(headers: Mapping[str, str]) -> str:
    """The language of a problem answer: the request's `Accept-Language` (module docstring)."""
    return negotiate(headers.get("accept-language"))


def problem_response(problem: Problem, instance: str | None, locale: str) -> Response:
    """The problem+json answer in ``locale`` (`request_locale`), which `Content-Language`
    names; `Vary` tells caches that the language came from the request."""
    texts = translator(locale, "problems")
    detail = (
        texts.format(problem.message, **problem.values)
        if problem.values is not None
        else texts.gettext(problem.detail)
    )
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + problem.slug,
        "title": texts.gettext(problem.title),
        "status": problem.status,
        "detail": detail,
        **problem.extra,
    }
    if instance is not None:
        body["instance"] = instance
    # nosniff here too: a 500 leaves through Starlette's outermost middleware, around
    # SecurityHeaders (server/http/limits.py)
    headers = {
        **(problem.headers or {}),
        "Content-Language": texts.locale,
        "Vary": "Accept-Language",
        "X-Content-Type-Options": "nosniff",
    }
    return JSONResponse(body, status_code=problem.status, media_type=MEDIA_TYPE, headers=headers)


async def handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path, request_locale(request.headers))


_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed"}
# Starlette's own refusals (an unknown path, a method the path lacks) carry the reason phrase
# as their detail, which is the title too: these are the phrases the catalog translates
_HTTP_PHRASES = (N_("Not Found"), N_("Method Not Allowed"))


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    slug = _HTTP_SLUGS.get(exc.status_code, f"http-{exc.status_code}")
    problem = Problem(exc.status_code, slug, str(exc.detail), str(exc.detail))
    return problem_response(problem, request.url.path, request_locale(request.headers))


def database_unavailable(retry_after: int) -> Problem:
    """The answer while the database cannot serve (server/http/errors.py)."""
    return Problem(
        503,
        "database-unavailable",
        N_("Service unavailable"),
        N_("the database cannot be reached now; try again in a moment"),
        headers={"Retry-After": str(retry_after)},
    )


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    problem = Problem(
        500, "internal-error", N_("Internal Server Error"), N_("an unexpected error occurred")
    )
    return problem_response(problem, request.url.path, request_locale(request.headers))
