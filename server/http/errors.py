"""The one place where errors become HTTP answers (RFC 9457 problem details).

Domain packages raise errors of the family in server/errors.py; this module maps each kind to
its status and each error's slug to the problem type. Handlers do not catch and translate.
An error's `title` is a text of the `problems` catalog, answered in the request's language
(server/http/problems.py).
"""

from __future__ import annotations

import math

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.errors import (
    Conflict,
    Denied,
    DomainError,
    Gone,
    Invalid,
    NotFound,
    Throttled,
    Unauthenticated,
    Unavailable,
)
from server.http.problems import (
    Problem,
    handle_http_exception,
    handle_problem,
    handle_unexpected,
    problem_response,
    request_locale,
)

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="veche"'}

STATUS_OF_KIND: dict[type[DomainError], int] = {
    NotFound: 404,
    Denied: 403,
    Unauthenticated: 401,
    Conflict: 409,
    Invalid: 422,
    Gone: 410,
    Throttled: 429,
    Unavailable: 503,
}


def status_of(error: DomainError) -> int:
    for kind, status in STATUS_OF_KIND.items():
        if isinstance(error, kind):
            return status
    return 400


def problem_of(error: DomainError) -> Problem:
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers.update(BEARER_CHALLENGE)
    if isinstance(error, Throttled):
        headers["Retry-After"] = str(math.ceil(error.retry_after))
    return Problem(
        status_of(error),
        error.slug,
        error.title,
        error.template,
        headers=headers or None,
        values=error.values,
        **error.extra,
    )


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem_response(problem_of(exc), request.url.path, request_locale(request.headers))


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    Problem: handle_problem,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
