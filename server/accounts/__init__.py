"""Accounts: passwords, sign-in sessions, access and API tokens, login rate limits.

Plain Python over ``storage.accounts`` and ``storage.audit``; HTTP lives in
``server/http/auth.py``. Errors (kinds from ``server.errors``)::

    AccountsError               root
     ├── BearerRequired         Unauthenticated: the request has no bearer token
     ├── InvalidCredentials     Unauthenticated: wrong name or password (never says which)
     ├── InvalidToken           Unauthenticated: missing, malformed, tampered, expired or
     │                          revoked token (``str()`` says which, for logs; the client is
     │                          told only that it is invalid)
     ├── LoginThrottled         Throttled: too many failed logins; ``retry_after`` seconds
     ├── NotASession            Invalid: logout with an API token
     ├── AdminOnly              Denied: for administrators
     ├── CrossSiteRequest       Denied: a cookie-authenticated request from another origin
     ├── TokenNotFound          NotFound: no live API token of the caller with that id
     └── InvalidAccountInput    Invalid: a name, password, locale or label that cannot be stored
"""

from __future__ import annotations

import math

from server.errors import Denied as _Denied
from server.errors import DomainError, Invalid, NotFound, Throttled, Unauthenticated
from server.i18n import translatable

N_ = translatable("problems")


class AccountsError(DomainError):
    """Root of the errors of ``server.accounts``."""


class InvalidCredentials(AccountsError, Unauthenticated):
    """The name or the password is wrong."""

    title = N_("Invalid credentials")

    def __init__(self, detail: str = "wrong name or password") -> None:
        super().__init__(detail, slug="invalid-credentials")


class BearerRequired(AccountsError, Unauthenticated):
    def __init__(self) -> None:
        super().__init__("a valid bearer token is required", slug="unauthorized")


class InvalidToken(AccountsError, Unauthenticated):
    """The token is missing, malformed, tampered with, expired or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__("the token is invalid, expired or revoked", slug="unauthorized")
        self.args = (reason,)


class LoginThrottled(AccountsError, Throttled):
    """Too many failed logins for this account or address."""

    title = N_("Too many failed logins")

    def __init__(self, retry_after: float) -> None:
        seconds = math.ceil(retry_after)
        super().__init__(
            f"too many failed logins; try again in {seconds} s",
            retry_after,
            slug="login-throttled",
        )


class NotASession(AccountsError, Invalid):
    title = N_("Not a session")

    def __init__(self, detail: str) -> None:
        super().__init__("token", detail, slug="not-a-session")


class AdminOnly(AccountsError, _Denied):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is for administrators")


class CrossSiteRequest(AccountsError, _Denied):
    """A request authenticated by the session cookie without this site's Origin (CSRF)."""

    title = N_("Cross-site request")

    def __init__(self) -> None:
        super().__init__(
            "a request signed by the session cookie must come from this site (Origin)",
            slug="cross-site-request",
        )


class TokenNotFound(AccountsError, NotFound):
    title = N_("Token not found")

    def __init__(self, token_id: str) -> None:
        super().__init__(f"you have no live token with id {token_id}", slug="token-not-found")


class InvalidAccountInput(AccountsError, Invalid):
    """A value that cannot be accepted (name, password, locale, label)."""
