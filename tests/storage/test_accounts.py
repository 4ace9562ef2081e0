"""AccountStore and AuditLog on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.accounts import AccountStore, Rotation
from storage.audit import AuditLog
from storage.database import Database
from storage.errors import UserExists
from tests.storage.factories import T0

GRACE = timedelta(seconds=20)


@pytest.fixture
def store(database: Database) -> AccountStore:
    return AccountStore(database)


async def _user(store: AccountStore, name: str = "ана") -> int:
    user = await store.create_user(
        name, display_name="Ана", locale="bg", password_hash="h", is_admin=False, created_at=T0
    )
    return user.id


async def test_users_have_unique_names(store: AccountStore) -> None:
    user_id = await _user(store)
    with pytest.raises(UserExists):
        await _user(store)
    found = await store.find_user("ана")
    assert found is not None
    assert (found.id, found.locale, found.is_admin, found.created_at) == (user_id, "bg", False, T0)
    assert await store.get_user(user_id) == found
    assert await store.find_user("nobody") is None


async def test_refresh_rotation_reuse_and_revocation(store: AccountStore) -> None:
    user_id = await _user(store)
    end = T0 + timedelta(days=1)
    later = T0 + GRACE + timedelta(seconds=1)
    await store.create_session("s1", user_id, refresh_token_hash="a", created_at=T0, expires_at=end)
    assert await store.active_session("s1", T0) is not None
    assert await store.rotate_refresh_token("s1", "a", "b", T0, GRACE) is Rotation.ROTATED
    assert await store.rotate_refresh_token("s1", "a", "c", later, GRACE) is Rotation.REUSED
    assert await store.rotate_refresh_token("s1", "b", "c", end, GRACE) is Rotation.INACTIVE
    assert await store.active_session("s1", end) is None
    assert await store.revoke_session("s1", T0)
    assert not await store.revoke_session("s1", T0)
    assert await store.active_session("s1", T0) is None
    assert await store.rotate_refresh_token("s1", "b", "c", T0, GRACE) is Rotation.INACTIVE
    assert await store.rotate_refresh_token("nope", "b", "c", T0, GRACE) is Rotation.INACTIVE


async def test_the_replaced_token_is_accepted_again_within_the_grace(store: AccountStore) -> None:
    user_id = await _user(store)
    end = T0 + timedelta(days=1)
    soon, late = T0 + GRACE / 2, T0 + GRACE + timedelta(seconds=1)
    await store.create_session("s1", user_id, refresh_token_hash="a", created_at=T0, expires_at=end)
    assert await store.rotate_refresh_token("s1", "a", "b", T0, GRACE) is Rotation.ROTATED
    assert await store.rotate_refresh_token("s1", "a", "c", soon, GRACE) is Rotation.RETRIED
    assert await store.rotate_refresh_token("s1", "a", "d", soon, GRACE) is Rotation.RETRIED
    # the tokens of the lost answers are dead; the newest one rotates as usual
    assert await store.rotate_refresh_token("s1", "b", "e", soon, GRACE) is Rotation.REUSED
    assert await store.rotate_refresh_token("s1", "c", "e", soon, GRACE) is Rotation.REUSED
    assert await store.rotate_refresh_token("s1", "d", "e", late, GRACE) is Rotation.ROTATED
    # which replaced "d" at `late`: "a" is two rotations back, and "d" is retried again
    assert await store.rotate_refresh_token("s1", "a", "f", late, GRACE) is Rotation.REUSED
    assert await store.rotate_refresh_token("s1", "d", "f", late, GRACE) is Rotation.RETRIED
    past = late + GRACE + timedelta(seconds=1)
    assert await store.rotate_refresh_token("s1", "d", "g", past, GRACE) is Rotation.REUSED


async def test_api_tokens_are_used_listed_and_revoked_by_their_owner(store: AccountStore) -> None:
    owner, other = await _user(store, "owner"), await _user(store, "other")
    first = await store.create_api_token(owner, "bot", "h1", T0)
    second = await store.create_api_token(owner, "ci", "h2", T0)
    used = await store.use_api_token("h1", T0 + timedelta(hours=1))
    assert used is not None
    assert (used[0].id, used[0].last_used_at, used[1].id) == (
        first.id,
        T0 + timedelta(hours=1),
        owner,
    )
    assert await store.use_api_token("unknown", T0) is None
    assert not await store.revoke_api_token(other, first.id, T0)
    assert await store.revoke_api_token(owner, first.id, T0)
    assert not await store.revoke_api_token(owner, first.id, T0)
    assert await store.use_api_token("h1", T0) is None
    listed = await store.list_api_tokens(owner)
    assert [(t.id, t.revoked_at) for t in listed] == [(second.id, None), (first.id, T0)]
    assert await store.list_api_tokens(other) == []


async def test_audit_events_page_newest_first(database: Database) -> None:
    audit = AuditLog(database)
    for n in range(5):
        await audit.record("test.event", address="127.0.0.1", details={"n": n, "име": "Ана"}, at=T0)
    first = await audit.page(limit=3)
    assert [e.details["n"] for e in first] == [4, 3, 2]
    rest = await audit.page(before_id=first[-1].id, limit=3)
    assert [e.details["n"] for e in rest] == [1, 0]
    assert rest[0].details["име"] == "Ана"
    assert (rest[0].action, rest[0].address, rest[0].at, rest[0].actor_user_id) == (
        "test.event",
        "127.0.0.1",
        T0,
        None,
    )
    with pytest.raises(ValueError, match="action longer"):
        await audit.record("x" * 65)


async def test_a_token_used_often_is_written_at_most_once_a_minute(store: AccountStore) -> None:
    """Using an API token reads it; its last_used_at is written only when a minute old."""
    owner = await _user(store, "owner")
    await store.create_api_token(owner, "bot", "h1", T0)
    times = [T0, T0 + timedelta(seconds=30), T0 + timedelta(seconds=61)]
    seen = []
    for now in times:
        used = await store.use_api_token("h1", now)
        assert used is not None
        seen.append(used[0].last_used_at)
    assert seen == [T0, T0, T0 + timedelta(seconds=61)]
    listed = await store.list_api_tokens(owner)
    assert listed[0].last_used_at == T0 + timedelta(seconds=61)
