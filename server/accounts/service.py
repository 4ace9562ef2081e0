"""Users, API tokens and sign-in sessions, with their audit trail."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server.accounts import (
    InvalidAccountInput,
    InvalidCredentials,
    InvalidToken,
    LoginThrottled,
    NotASession,
)
from server.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, Passwords
from server.accounts.ratelimit import SlidingWindow
from server.accounts.signing import TokenSigner, secret_hash
from server.accounts.throttle import LocalThrottle, LoginThrottle, Reservation
from server.cached_reads import ReadMemory, gathered
from storage.accounts import (
    TOUCH_EVERY,
    AccountStore,
    Rotation,
    StoredApiToken,
    StoredSession,
    StoredUser,
)
from storage.audit import AuditLog
from storage.errors import UserExists
from storage.models import LOCALES, TOKEN_LABEL_LENGTH, USER_NAME_LENGTH, utc_now

API_TOKEN_PREFIX = "vch_"
# a refresh whose answer was lost (the page reloaded meanwhile) may be retried this long
REFRESH_RETRY_GRACE = timedelta(seconds=20)


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a user, through a sign-in session or an API token."""

    user: StoredUser
    session_id: str | None = None
    api_token_id: int | None = None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    session_id: str


def check_name(name: str) -> str:
    if not (0 < len(name) <= USER_NAME_LENGTH) or not name.isprintable() or " " in name:
        raise InvalidAccountInput(
            "name", f"a user name is 1 to {USER_NAME_LENGTH} printable characters, no spaces"
        )
    return name


class Accounts:
    """Users and their API tokens (no signing key needed: the CLI uses this too)."""

    def __init__(
        self,
        store: AccountStore,
        audit: AuditLog,
        *,
        passwords: Passwords | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store, self.audit, self.clock = store, audit, clock
        self.passwords = passwords or Passwords()

    async def create_user(
        self,
        name: str,
        password: str | None,
        *,
        display_name: str | None = None,
        locale: str = "bg",
        is_admin: bool = False,
        actor: StoredUser | None = None,
        address: str | None = None,
        via: str = "api",
    ) -> StoredUser:
        """Create a user; InvalidAccountInput for a bad value or a taken name."""
        check_name(name)
        if locale not in LOCALES:
            raise InvalidAccountInput("locale", f"locale must be one of {', '.join(LOCALES)}")
        if password is not None and not (
            MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH
        ):
            raise InvalidAccountInput(
                "password",
                f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            )
        password_hash = None if password is None else await self.passwords.hash(password)
        try:
            user = await self.store.create_user(
                name,
                display_name=display_name or name,
                locale=locale,
                password_hash=password_hash,
                is_admin=is_admin,
                created_at=self.clock(),
            )
        except UserExists:
            raise InvalidAccountInput("name", f"the name {name!r} is taken") from None
        await self.audit.record(
            "user.created",
            actor_user_id=None if actor is None else actor.id,
            address=address,
            details={"user_id": user.id, "name": name, "is_admin": is_admin, "via": via},
        )
        return user

    async def issue_api_token(
        self, user: StoredUser, label: str, *, address: str | None = None, via: str = "api"
    ) -> tuple[StoredApiToken, str]:
        """A new API token of ``user`` and its secret, which is shown once and never stored."""
        if not (0 < len(label) <= TOKEN_LABEL_LENGTH):
            raise InvalidAccountInput("label", f"a label is 1 to {TOKEN_LABEL_LENGTH} characters")
        secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = await self.store.create_api_token(user.id, label, secret_hash(secret), self.clock())
        await self.audit.record(
            "token.issued",
            actor_user_id=user.id,
            address=address,
            details={"token_id": token.id, "label": label, "via": via},
        )
        return token, secret

    async def revoke_api_token(
        self, user: StoredUser, token_id: int, *, address: str | None = None
    ) -> bool:
        """Revoke one of the user's own tokens; False if there is no such live token."""
        revoked = await self.store.revoke_api_token(user.id, token_id, self.clock())
        if revoked:
            await self.audit.record(
                "token.revoked",
                actor_user_id=user.id,
                address=address,
                details={"token_id": token_id},
            )
        return revoked


class SignIn:
    """Login with a password, access tokens, rotating refresh tokens, logout."""

    def __init__(
        self,
        accounts: Accounts,
        signer: TokenSigner,
        *,
        access_ttl: timedelta = timedelta(minutes=15),
        session_ttl: timedelta = timedelta(days=30),
        per_account: SlidingWindow | None = None,
        per_address: SlidingWindow | None = None,
        throttle: LoginThrottle | None = None,
        memory: ReadMemory | None = None,
    ) -> None:
        self.accounts, self.signer = accounts, signer
        self.store, self.audit, self.clock = accounts.store, accounts.audit, accounts.clock
        self.access_ttl, self.session_ttl = access_ttl, session_ttl
        # failed logins per account and per address: this node's count, or every node's
        self.throttle: LoginThrottle = throttle or LocalThrottle(
            SlidingWindow(10, 15 * 60) if per_account is None else per_account,
            SlidingWindow(50, 15 * 60) if per_address is None else per_address,
        )
        # One audit row per throttled account/address pair and window (on each node), so a
        # flood of refused attempts cannot flood the audit table.
        self._throttle_reports = SlidingWindow(1, self.throttle.window)
        # Each request and each connection asks for its credential: the asks of a storm are
        # gathered into one query, and the answers kept briefly when a memory is given
        # (server/cached_reads.py; a revocation on any node empties it).
        self._api_tokens = gathered(memory, self._read_api_tokens)
        self._sessions = gathered(memory, self._read_sessions)
        # API tokens used and not yet recorded as such: written together, off the path of
        # the requests and connections that used them (`record_token_uses`)
        self._used_tokens: set[int] = set()

    async def _read_api_tokens(self, hashes: frozenset[str]) -> dict[str, tuple[int, StoredUser]]:
        found = await self.store.read_api_tokens(hashes)
        now = self.clock()
        for token, _ in found.values():
            if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
                self._used_tokens.add(token.id)
        # only what a principal needs is kept: the token's id and its user
        return {key: (token.id, user) for key, (token, user) in found.items()}

    async def record_token_uses(self) -> None:
        """Write the last use of the API tokens used since the last call, in one statement
        (every few seconds, and before tokens are listed). A token's last use is then at most
        a minute and a few seconds old, as before without a write on the admission path."""
        used, self._used_tokens = self._used_tokens, set()
        if used:
            await self.store.touch_api_tokens(used, self.clock())

    async def _read_sessions(
        self, session_ids: frozenset[str]
    ) -> dict[str, tuple[StoredSession, StoredUser]]:
        return await self.store.active_sessions(session_ids, self.clock())

    async def login(self, name: str, password: str, address: str | None) -> IssuedTokens:
        """Tokens for a new session.

        Raises:
            LoginThrottled: too many recent failures for this name or address.
            InvalidCredentials: unknown name or wrong password (the same either way).
        """
        account_key, address_key = name.casefold(), address or "-"
        reserved = await self.throttle.reserve(account_key, address_key)
        if not isinstance(reserved, Reservation):
            report_key = f"{account_key}\n{address_key}"
            if self._throttle_reports.retry_after(report_key) is None:
                self._throttle_reports.hit(report_key)
                await self.audit.record(
                    "auth.login_throttled", address=address, details={"name": name[:100]}
                )
            raise LoginThrottled(reserved)
        # the attempt is counted as a failure until it succeeds (server/accounts/throttle.py)
        user = await self.store.find_user(name)
        ok = len(password) <= MAX_PASSWORD_LENGTH and await self.accounts.passwords.verify(
            None if user is None else user.password_hash, password
        )
        if user is None or not ok:
            await self.audit.record(
                "auth.login_failed", address=address, details={"name": name[:100]}
            )
            raise InvalidCredentials("wrong name or password")
        await self.throttle.succeeded(reserved)
        now = self.clock()
        session_id = secrets.token_hex(16)
        refresh = self._refresh_token(session_id, 0)
        await self.store.create_session(
            session_id,
            user.id,
            refresh_token_hash=secret_hash(refresh),
            created_at=now,
            expires_at=now + self.session_ttl,
        )
        await self.audit.record(
            "auth.login", actor_user_id=user.id, address=address, details={"session": session_id}
        )
        return self._issue(user.id, session_id, refresh, now)

    async def refresh(self, refresh_token: str, address: str | None) -> IssuedTokens:
        """Rotate: new access and refresh tokens, the presented one revoked.

        A refresh token presented again after it was rotated means it leaked: the whole
        session is revoked. Raises InvalidToken. The one exception: the token replaced less
        than REFRESH_RETRY_GRACE ago gets the same successor again (a page that reloaded
        before the answer to its refresh arrived); whoever of two holders of that successor
        refreshes second is then found out.
        """
        payload = self.signer.verify(refresh_token)
        session_id = payload.get("sid")
        generation = payload.get("gen", 0)  # tokens issued before generations: as the first
        if (
            payload.get("typ") != "refresh"
            or not isinstance(session_id, str)
            or not isinstance(generation, int)
            or generation < 0
        ):
            raise InvalidToken("not a refresh token")
        now = self.clock()
        new = self._refresh_token(session_id, generation + 1)
        outcome = await self.store.rotate_refresh_token(
            session_id, secret_hash(refresh_token), secret_hash(new), now, REFRESH_RETRY_GRACE
        )
        if outcome is Rotation.REUSED:
            await self.store.revoke_session(session_id, now)
            await self.audit.record(
                "auth.refresh_reused", address=address, details={"session": session_id}
            )
            raise InvalidToken("refresh token reused; the session is revoked")
        if outcome is Rotation.RETRIED:
            await self.audit.record(
                "auth.refresh_retried", address=address, details={"session": session_id}
            )
        if outcome is Rotation.INACTIVE:
            raise InvalidToken("session revoked or expired")
        found = await self.store.active_session(session_id, now)
        if found is None:
            raise InvalidToken("session revoked or expired")
        return self._issue(found[1].id, session_id, new, now)

    async def logout(self, principal: Principal, address: str | None) -> None:
        if principal.session_id is None:
            raise NotASession("logout needs an access token of a session, not an API token")
        await self.store.revoke_session(principal.session_id, self.clock())
        await self.audit.record(
            "auth.logout",
            actor_user_id=principal.user.id,
            address=address,
            details={"session": principal.session_id},
        )

    async def authenticate(self, bearer: str) -> Principal:
        """The principal of an access token or an API token; InvalidToken otherwise."""
        if bearer.startswith(API_TOKEN_PREFIX):
            token = await self._api_tokens.get(secret_hash(bearer))
            if token is None:
                raise InvalidToken("unknown or revoked API token")
            return Principal(user=token[1], api_token_id=token[0])
        payload = self.signer.verify(bearer)
        now = self.clock()
        expires, session_id, user_id = payload.get("exp"), payload.get("sid"), payload.get("sub")
        if (
            payload.get("typ") != "access"
            or not isinstance(expires, int)
            or not isinstance(session_id, str)
            or not isinstance(user_id, int)
        ):
            raise InvalidToken("not an access token")
        if expires <= now.timestamp():
            raise InvalidToken("access token expired")
        found = await self._sessions.get(session_id)
        # a kept answer may be a few seconds old: the session's own expiry is checked again
        if found is None or found[1].id != user_id or found[0].expires_at <= now:
            raise InvalidToken("session revoked or expired")
        return Principal(user=found[1], session_id=session_id)

    def access_token(self, user_id: int, session_id: str, expires: datetime) -> str:
        payload: dict[str, Any] = {
            "sub": user_id,
            "sid": session_id,
            "exp": int(expires.timestamp()),
            "typ": "access",
        }
        return self.signer.sign(payload)

    def _refresh_token(self, session_id: str, generation: int) -> str:
        """The session's refresh token of ``generation`` (0 at login, one more at each
        rotation): the same bytes whenever it is made, so a refresh retried within the grace
        hands back the very token its lost answer carried, and the browser may keep either
        (a reload that lost two answers in a row once signed the person out). Only this key
        can sign it; the session id in it is random."""
        return self.signer.sign({"typ": "refresh", "sid": session_id, "gen": generation})

    def _issue(self, user_id: int, session_id: str, refresh: str, now: datetime) -> IssuedTokens:
        return IssuedTokens(
            access_token=self.access_token(user_id, session_id, now + self.access_ttl),
            expires_in=int(self.access_ttl.total_seconds()),
            refresh_token=refresh,
            session_id=session_id,
        )
