"""SignIn without a network, on real SQLite and PostgreSQL, with an injected limiter clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from server.accounts import InvalidCredentials, InvalidToken, LoginThrottled
from server.accounts.ratelimit import SlidingWindow
from server.accounts.service import REFRESH_RETRY_GRACE, Accounts, SignIn
from server.accounts.signing import TokenSigner
from storage.accounts import AccountStore
from storage.audit import AuditLog
from storage.database import Database, upgrade
from storage.models import utc_now

PASSWORD = "a-long-password"


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def accounts(database_url: str) -> AsyncIterator[Accounts]:
    await upgrade(database_url)
    async with Database(database_url) as database:
        accounts = Accounts(AccountStore(database), AuditLog(database))
        await accounts.create_user("ana", PASSWORD)
        yield accounts


async def test_the_window_slides_with_the_clock(accounts: Accounts) -> None:
    clock = Clock()
    sign_in = SignIn(
        accounts,
        TokenSigner(b"k" * 32),
        per_account=SlidingWindow(2, 60.0, clock),
        per_address=SlidingWindow(100, 60.0, clock),
    )
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await sign_in.login("ana", "wrong-password", "192.0.2.1")
        clock.now += 10
    with pytest.raises(LoginThrottled) as throttled:
        await sign_in.login("ANA", PASSWORD, "192.0.2.2")  # names are counted case-folded
    assert throttled.value.retry_after == pytest.approx(40.0)
    clock.now = 60.0  # the first failure has left the window
    assert (await sign_in.login("ana", PASSWORD, "192.0.2.1")).access_token


async def test_concurrent_refreshes_with_one_token_all_get_its_one_successor(
    accounts: Accounts,
) -> None:
    """Refreshes racing with one token all pass (one rotates, the others count as retries of
    a lost answer) and all answer the same successor, so tabs that raced stay signed in;
    the replaced token presented after the grace is a replay and revokes the session."""
    sign_in = SignIn(accounts, TokenSigner(b"k" * 32))
    issued = await sign_in.login("ana", PASSWORD, None)
    results = await asyncio.gather(*(sign_in.refresh(issued.refresh_token, None) for _ in range(3)))
    assert len({winner.refresh_token for winner in results}) == 1
    assert issued.refresh_token not in {winner.refresh_token for winner in results}
    for winner in results:
        await sign_in.authenticate(winner.access_token)  # every tab is signed in
    sign_in.clock = lambda: utc_now() + REFRESH_RETRY_GRACE + timedelta(seconds=1)
    with pytest.raises(InvalidToken):
        await sign_in.refresh(issued.refresh_token, None)
    for winner in results:
        with pytest.raises(InvalidToken):
            await sign_in.authenticate(winner.access_token)
