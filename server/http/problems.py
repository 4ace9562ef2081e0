"""RFC 9457 problem details: every API error leaves through here."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PROBLEM_TYPE_PREFIX = "urn:veche:problem:"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An error for an API client: `status`, a stable `slug` (the type URI) and a detail."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.headers = headers
        self.status, self.slug, self.title, self.detail, self.extra = (
            status,
            slug,
            title,
            detail,
            extra,
        )


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        **problem.extra,
    }
    if instance is not None:
        body["instance"] = instance
    # nosniff here too: a 500 leaves through Starlette's outermost middleware, around
    # SecurityHeaders (server/http/limits.py)
    headers = {**(problem.headers or {}), "X-Content-Type-Options": "nosniff"}
    return JSONResponse(body, status_code=problem.status, media_type=MEDIA_TYPE, headers=headers)


async def handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path)


_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed"}


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    slug = _HTTP_SLUGS.get(exc.status_code, f"http-{exc.status_code}")
    problem = Problem(exc.status_code, slug, str(exc.detail), str(exc.detail))
    return problem_response(problem, request.url.path)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    problem = Problem(
        500, "internal-error", "Internal Server Error", "an unexpected error occurred"
    )
    return problem_response(problem, request.url.path)
