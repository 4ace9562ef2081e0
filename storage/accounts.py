"""Accounts: users, sign-in sessions (refresh tokens) and API tokens.

Secrets never reach this module: callers pass SHA-256 hashes of refresh and API tokens.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.errors import UserExists
from storage.models import ApiTokenRecord, AuthSessionRecord, UserRecord
from storage.prepared import PreparedIn
from storage.records import detached

TOUCH_EVERY = timedelta(minutes=1)  # how stale an API token's last_used_at may be

__all__ = ["AccountStore", "Rotation", "StoredApiToken", "StoredSession", "StoredUser"]


@dataclass(frozen=True)
class StoredUser:
    id: int
    name: str
    display_name: str
    locale: str
    password_hash: str | None
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True)
class StoredSession:
    id: str
    user_id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class StoredApiToken:
    id: int
    user_id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class Rotation(enum.Enum):
    """What happened to a presented refresh token."""

    ROTATED = "rotated"  # it was the session's current token; the new one replaces it
    RETRIED = "retried"  # it was replaced moments ago (the answer was lost): replaced again
    REUSED = "reused"  # the session is live but the token is an older one: it was replayed
    INACTIVE = "inactive"  # no such session, or it is revoked or expired


def _columns(record: type, kind: type) -> list[Any]:
    return [getattr(record, field.name) for field in fields(kind)]


# the credential reads of a connection storm, as prepared statements (storage/prepared.py)
_USER = _columns(UserRecord, StoredUser)
_TOKEN = _columns(ApiTokenRecord, StoredApiToken)
_SESSION = _columns(AuthSessionRecord, StoredSession)
LIVE_TOKENS_BY_HASH = PreparedIn(
    lambda keys: (
        select(ApiTokenRecord.token_hash, *_TOKEN, *_USER)
        .join(UserRecord, UserRecord.id == ApiTokenRecord.user_id)
        .where(ApiTokenRecord.token_hash.in_(keys), ApiTokenRecord.revoked_at.is_(None))
    )
)
ACTIVE_SESSIONS = PreparedIn(
    lambda keys: (
        select(*_SESSION, *_USER)
        .join(UserRecord, UserRecord.id == AuthSessionRecord.user_id)
        .where(
            AuthSessionRecord.id.in_(keys),
            AuthSessionRecord.revoked_at.is_(None),
            AuthSessionRecord.expires_at > bindparam("now"),
        )
    )
)


class AccountStore:
    """Reads and writes accounts; every method is one unit of work."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker
        self._single_reads = database.single_reads

    async def create_user(
        self,
        name: str,
        *,
        display_name: str,
        locale: str,
        password_hash: str | None,
        is_admin: bool,
        created_at: datetime,
    ) -> StoredUser:
        """Create a user.

        Raises:
            UserExists: the name is taken.
        """
        record = UserRecord(
            name=name,
            display_name=display_name,
            locale=locale,
            password_hash=password_hash,
            is_admin=is_admin,
            created_at=created_at,
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(record)
        except IntegrityError:
            raise UserExists(name) from None
        return detached(StoredUser, record)

    async def find_user(self, name: str) -> StoredUser | None:
        """The user called ``name``, or None."""
        async with self._sessions() as session:
            record = await session.scalar(select(UserRecord).where(UserRecord.name == name))
            return None if record is None else detached(StoredUser, record)

    async def get_user(self, user_id: int) -> StoredUser | None:
        """The user with id ``user_id``, or None."""
        async with self._sessions() as session:
            record = await session.get(UserRecord, user_id)
            return None if record is None else detached(StoredUser, record)

    async def users_by_id(self, user_ids: Collection[int]) -> dict[int, StoredUser]:
        """The users among ``user_ids`` that exist, by id."""
        if not user_ids:
            return {}
        query = select(UserRecord).where(UserRecord.id.in_(user_ids))
        async with self._sessions() as session:
            return {r.id: detached(StoredUser, r) for r in await session.scalars(query)}

    async def create_session(
        self,
        session_id: str,
        user_id: int,
        *,
        refresh_token_hash: str,
        created_at: datetime,
        expires_at: datetime,
    ) -> StoredSession:
        """Record a sign-in with its first refresh token."""
        record = AuthSessionRecord(
            id=session_id,
            user_id=user_id,
            refresh_token_hash=refresh_token_hash,
            created_at=created_at,
            expires_at=expires_at,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        return detached(StoredSession, record)

    async def active_session(
        self, session_id: str, now: datetime
    ) -> tuple[StoredSession, StoredUser] | None:
        """The session and its user, unless the session is unknown, revoked or expired."""
        return (await self.active_sessions({session_id}, now)).get(session_id)

    async def active_sessions(
        self, session_ids: Collection[str], now: datetime
    ) -> dict[str, tuple[StoredSession, StoredUser]]:
        """The sessions among ``session_ids`` that are neither revoked nor expired, with
        their users, by id: one query for many (admission gathers a storm's reads)."""
        rows = await self._database.read_keys(ACTIVE_SESSIONS, session_ids, now=now)
        split = len(_SESSION)
        return {row[0]: (StoredSession(*row[:split]), StoredUser(*row[split:])) for row in rows}

    async def rotate_refresh_token(
        self, session_id: str, old_hash: str, new_hash: str, now: datetime, grace: timedelta
    ) -> Rotation:
        """Replace the session's refresh token if ``old_hash`` is the current one.

        The check and the replacement are one statement, so of two concurrent refreshes with
        the same token exactly one rotates. The token replaced less than ``grace`` ago is
        accepted again (``RETRIED``): a browser that navigated away before the answer arrived
        still holds it (and may reload more than once). ``new_hash`` becomes the current
        token; the service makes a token's successor the same bytes every time, so a retry
        leaves the token the lost answer carried working (the browser may have kept that
        one), and a thief who replays within the grace holds the owner's successor: whoever
        of the two refreshes second is found out.
        """
        live = (
            AuthSessionRecord.id == session_id,
            AuthSessionRecord.revoked_at.is_(None),
            AuthSessionRecord.expires_at > now,
        )
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(AuthSessionRecord)
                .where(*live, AuthSessionRecord.refresh_token_hash == old_hash)
                .values(
                    refresh_token_hash=new_hash,
                    previous_refresh_token_hash=old_hash,
                    rotated_at=now,
                )
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return Rotation.ROTATED
            retried = await session.execute(
                update(AuthSessionRecord)
                .where(
                    *live,
                    AuthSessionRecord.previous_refresh_token_hash == old_hash,
                    AuthSessionRecord.rotated_at > now - grace,
                )
                .values(refresh_token_hash=new_hash)
            )
            if retried.rowcount == 1:  # type: ignore[attr-defined]
                return Rotation.RETRIED
            still_live = await session.scalar(select(AuthSessionRecord.id).where(*live))
        return Rotation.INACTIVE if still_live is None else Rotation.REUSED

    async def revoke_session(self, session_id: str, now: datetime) -> bool:
        """Revoke a session; False if it was unknown or revoked already."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(AuthSessionRecord)
                .where(AuthSessionRecord.id == session_id, AuthSessionRecord.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def create_api_token(
        self, user_id: int, label: str, token_hash: str, created_at: datetime
    ) -> StoredApiToken:
        """Record an API token by the SHA-256 of its secret."""
        record = ApiTokenRecord(
            user_id=user_id, label=label, token_hash=token_hash, created_at=created_at
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        return detached(StoredApiToken, record)

    async def list_api_tokens(self, user_id: int) -> list[StoredApiToken]:
        """Every API token of the user, revoked ones included, newest first."""
        query = (
            select(ApiTokenRecord)
            .where(ApiTokenRecord.user_id == user_id)
            .order_by(ApiTokenRecord.id.desc())
        )
        async with self._sessions() as session:
            return [detached(StoredApiToken, record) for record in await session.scalars(query)]

    async def revoke_api_token(self, user_id: int, token_id: int, now: datetime) -> bool:
        """Revoke one of the user's tokens; False if it is not theirs or revoked already."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(ApiTokenRecord)
                .where(
                    ApiTokenRecord.id == token_id,
                    ApiTokenRecord.user_id == user_id,
                    ApiTokenRecord.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def use_api_token(
        self, token_hash: str, now: datetime, *, touch_every: timedelta = TOUCH_EVERY
    ) -> tuple[StoredApiToken, StoredUser] | None:
        """The live token with this hash and its user, None if none (see `use_api_tokens`)."""
        found = await self.use_api_tokens({token_hash}, now, touch_every=touch_every)
        return found.get(token_hash)

    async def read_api_tokens(
        self, token_hashes: Collection[str]
    ) -> dict[str, tuple[StoredApiToken, StoredUser]]:
        """The live tokens with these hashes and their users, by hash; nothing written (the
        caller records their use later with `touch_api_tokens`)."""
        rows = await self._database.read_keys(LIVE_TOKENS_BY_HASH, token_hashes)
        split = 1 + len(_TOKEN)
        return {row[0]: (StoredApiToken(*row[1:split]), StoredUser(*row[split:])) for row in rows}

    async def touch_api_tokens(self, token_ids: Collection[int], now: datetime) -> None:
        """Set the last use of these live tokens to ``now``, in one statement."""
        if not token_ids:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(ApiTokenRecord)
                .where(ApiTokenRecord.id.in_(token_ids), ApiTokenRecord.revoked_at.is_(None))
                .values(last_used_at=now)
            )

    async def use_api_tokens(
        self, token_hashes: Collection[str], now: datetime, *, touch_every: timedelta = TOUCH_EVERY
    ) -> dict[str, tuple[StoredApiToken, StoredUser]]:
        """The live tokens with these hashes and their users, by hash. A token's
        `last_used_at` is set to ``now`` when it is older than ``touch_every`` (or unset): one
        read for all the hashes, and one write for the tokens to touch, at most once a minute
        per token instead of on every request."""
        if not token_hashes:
            return {}
        async with self._single_reads() as session:
            rows = (
                await session.execute(
                    select(ApiTokenRecord, UserRecord)
                    .join(UserRecord, UserRecord.id == ApiTokenRecord.user_id)
                    .where(
                        ApiTokenRecord.token_hash.in_(token_hashes),
                        ApiTokenRecord.revoked_at.is_(None),
                    )
                )
            ).all()
            found = {
                row[0].token_hash: (detached(StoredApiToken, row[0]), detached(StoredUser, row[1]))
                for row in rows
            }
        stale = {
            token.id: token_hash
            for token_hash, (token, _) in found.items()
            if token.last_used_at is None or now - token.last_used_at >= touch_every
        }
        if not stale:
            return found
        async with self._sessions() as session, session.begin():
            touched = await session.scalars(
                update(ApiTokenRecord)
                .where(ApiTokenRecord.id.in_(stale), ApiTokenRecord.revoked_at.is_(None))
                .values(last_used_at=now)
                .returning(ApiTokenRecord.id)
            )
            still_live = set(touched)
        for token_id, token_hash in stale.items():
            if token_id not in still_live:  # revoked meanwhile
                del found[token_hash]
            else:
                token, user = found[token_hash]
                found[token_hash] = (replace(token, last_used_at=now), user)
        return found
