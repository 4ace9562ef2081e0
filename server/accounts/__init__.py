"""Accounts: passwords, sign-in sessions, access and API tokens, login rate limits.

Plain Python over ``storage.accounts`` and ``storage.audit``; HTTP lives in
``server/http/auth.py``. Errors::

    AccountsError             root
     ├── InvalidCredentials   wrong name or password (never says which)
     ├── LoginThrottled       too many failed logins; ``retry_after`` seconds
     ├── InvalidToken         missing, malformed, tampered, expired or revoked token
     └── InvalidInput         a name, password, locale or label that cannot be stored
"""

from __future__ import annotations


class AccountsError(Exception):
    """Root of the errors of ``server.accounts``."""


class InvalidCredentials(AccountsError):
    """The name or the password is wrong."""


class LoginThrottled(AccountsError):
    """Too many failed logins for this account or address."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class InvalidToken(AccountsError):
    """The token is missing, malformed, tampered with, expired or revoked."""


class InvalidInput(AccountsError):
    """A value that cannot be accepted (name, password, locale, label)."""
