"""The one family of domain errors every domain package raises (no HTTP here).

Each package has its own root (``RoomsError``, ``AccountsError``, ``DecisionsError``,
``DocumentsError``, ``DiscussionError``; the policy's refusal is ``server.policy.Refused``) and
its errors also belong to one *kind* below. The HTTP edge (server/http/errors.py) maps a kind
to a status and the error's ``slug`` to a problem type, so handlers never catch and translate::

    DomainError
     ├── NotFound          404  nothing by that name the caller may know of
     ├── Denied            403  the caller may not (Refused carries the policy's reason)
     ├── Unauthenticated   401  no valid credentials
     ├── Conflict          409  the current state does not allow it
     ├── Invalid           422  a value that cannot be accepted; ``field`` names it
     ├── Gone              410  existed, and can no longer be used
     ├── Throttled         429  too many attempts; ``retry_after`` seconds
     └── Unavailable       503  cannot be done now (too costly, a busy resource)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from server.i18n import translatable

N_ = translatable("problems")


class DomainError(Exception):
    """A refusal a client can act on: a stable ``slug`` (the problem type), a ``detail`` for
    people and ``extra`` members for the problem document.

    With ``values``, ``detail`` is a text of the `problems` catalog with ``{placeholders}``
    (marked with ``N_``), answered in the client's language; ``self.detail`` is its English."""

    default_slug: ClassVar[str] = "error"
    title: ClassVar[str] = N_("Error")  # a text of the `problems` catalog (server/i18n)

    def __init__(
        self,
        detail: str,
        *,
        slug: str | None = None,
        values: Mapping[str, object] | None = None,
        **extra: Any,
    ) -> None:
        english = detail if values is None else detail.format(**values)
        super().__init__(english)
        self.template, self.values = detail, values
        self.detail = english
        self.slug = slug or self.default_slug
        self.extra = extra


class NotFound(DomainError):
    default_slug, title = "not-found", N_("Not found")


class Denied(DomainError):
    default_slug, title = "forbidden", N_("Forbidden")


class Unauthenticated(DomainError):
    default_slug, title = "unauthorized", N_("Unauthorized")


class Conflict(DomainError):
    default_slug, title = "conflict", N_("Conflict")


class Invalid(DomainError):
    default_slug, title = "invalid-parameter", N_("Invalid parameter")

    def __init__(
        self,
        field: str,
        detail: str,
        *,
        slug: str | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail, slug=slug, values=values, parameter=field)
        self.field = field


class Gone(DomainError):
    default_slug, title = "gone", N_("Gone")


class Throttled(DomainError):
    default_slug, title = "throttled", N_("Too many requests")

    def __init__(self, detail: str, retry_after: float, *, slug: str | None = None) -> None:
        super().__init__(detail, slug=slug)
        self.retry_after = retry_after


class Unavailable(DomainError):
    default_slug, title = "unavailable", N_("Service unavailable")
