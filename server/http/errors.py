"""The one place where errors become HTTP answers (RFC 9457 problem details).

Domain packages raise errors of the family in server/errors.py; this module maps each kind to
its status and each error's slug to the problem type. Handlers do not catch and translate.
An error's `title` is a text of the `problems` catalog, answered in the request's language
(server/http/problems.py).
"""

from __future__ import annotations

import logging
import math

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
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
    database_unavailable,
    handle_http_exception,
    handle_problem,
    handle_unexpected,
    problem_response,
    request_locale,
)

log = logging.getLogger(__name__)

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="veche"'}
DATABASE_RETRY_SECONDS = 2  # Retry-After of an answer refused while the database is away

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


def database_away(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot serve now (unreachable, restarting, locked by
    another writer past the wait, no pooled connection free in time), as opposed to a fault
    of the request or of the code."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | ConnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def handle_database_error(request: Request, exc: Exception) -> Response:
    """503 with Retry-After while the database is away (docs/http-api.md); any other
    database error is the code's (500)."""
    if not database_away(exc):
        return await handle_unexpected(request, exc)
    log.warning("%s %s refused: the database is away (%s)", request.method, request.url.path, exc)
    problem = database_unavailable(DATABASE_RETRY_SECONDS)
    return problem_response(problem, request.url.path, request_locale(request.headers))


EXCEPTION_HANDLERS = {
    DBAPIError: handle_database_error,
    PoolTimeout: handle_database_error,
    ConnectionError: handle_database_error,
    DomainError: handle_domain_error,
    Problem: handle_problem,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
