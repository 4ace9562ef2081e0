"""SignIn without a network, on real SQLite and PostgreSQL, with an injected limiter clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from server.accounts import InvalidCredentials, InvalidToken, LoginThrottled
from server.accounts.ratelimit import SlidingWindow
from server.accounts.service import Accounts, SignIn
from server.accounts.signing import TokenSigner
from storage.accounts import AccountStore
from storage.audit import AuditLog
from storage.database import Database, upgrade

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


async def test_concurrent_refreshes_with_one_token_pass_and_the_stale_ones_revoke_it(
    accounts: Accounts,
) -> None:
    """Refreshes racing with one token all pass (one rotates, the others count as retries of
    a lost answer), but only the last token issued is current: presenting the others, as tabs
    that raced would, is taken as a replay and revokes the session."""
    sign_in = SignIn(accounts, TokenSigner(b"k" * 32))
    issued = await sign_in.login("ana", PASSWORD, None)
    results = await asyncio.gather(*(sign_in.refresh(issued.refresh_token, None) for _ in range(3)))
    outcomes: list[str] = []
    for winner in results:
        try:
            await sign_in.refresh(winner.refresh_token, None)
            outcomes.append("rotated")
        except InvalidToken:
            outcomes.append("refused")
    assert outcomes.count("rotated") <= 1
    assert "refused" in outcomes
    for winner in results:
        with pytest.raises(InvalidToken):
            await sign_in.authenticate(winner.access_token)
