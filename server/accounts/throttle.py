"""How many failed logins an account and an address may have in a window, on one node or on
all of them.

`LocalThrottle` counts in this process (`SlidingWindow`): right for one node. With several
nodes behind a balancer each would allow the limit again, so `SharedThrottle` counts in Redis
(storage/redis_login_windows.py), in one atomic step per attempt; while Redis cannot be
reached it falls back to this node's own count, so logins go on (each node then allows the
limit by itself, as a single node would).

An attempt is counted as a failure before the password is checked and given back if it
succeeds: otherwise concurrent attempts would all pass the check before the first verdict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from server.accounts.ratelimit import SlidingWindow, bounded_key
from storage.errors import BoardUnavailable

if TYPE_CHECKING:  # Redis is an optional extra, imported only when configured
    from storage.redis_login_windows import RedisLoginWindows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reservation:
    """An attempt counted as a failure until it `succeeded`."""

    account: str
    address: str
    token: str | float  # the member in Redis (shared) or the local count's time
    shared: bool = False


class LoginThrottle(Protocol):
    window: float

    async def reserve(self, account: str, address: str) -> Reservation | float:
        """Count an attempt for both keys, or the seconds to wait when either is at its
        limit (nothing counted)."""
        ...

    async def succeeded(self, reservation: Reservation) -> None:
        """The attempt succeeded: the account's failures are forgotten, the address's count
        is given back."""
        ...

    async def close(self) -> None: ...


class LocalThrottle:
    def __init__(self, per_account: SlidingWindow, per_address: SlidingWindow) -> None:
        self.per_account, self.per_address = per_account, per_address
        self.window = per_account.window

    async def reserve(self, account: str, address: str) -> Reservation | float:
        # check and count with no await between them: atomic in this process
        waits = [
            wait
            for wait in (
                self.per_account.retry_after(account),
                self.per_address.retry_after(address),
            )
            if wait is not None
        ]
        if waits:
            return max(waits)
        counted = self.per_address.hit(address)
        self.per_account.hit(account)
        return Reservation(account, address, counted)

    async def succeeded(self, reservation: Reservation) -> None:
        self.per_account.reset(reservation.account)
        if isinstance(reservation.token, float):
            self.per_address.give_back(reservation.address, reservation.token)

    async def close(self) -> None:
        return None


class SharedThrottle:
    def __init__(
        self, windows: RedisLoginWindows, limits: tuple[int, int], fallback: LocalThrottle
    ) -> None:
        self._windows, self._limits, self._fallback = windows, limits, fallback
        self.window = fallback.window
        self._degraded = False

    async def reserve(self, account: str, address: str) -> Reservation | float:
        try:
            got = await self._windows.reserve(
                bounded_key(account), bounded_key(address), self._limits, self.window
            )
        except BoardUnavailable as exc:
            self._note_outage(exc)
            return await self._fallback.reserve(account, address)
        self._degraded = False
        if isinstance(got, float):
            return got
        return Reservation(account, address, got, shared=True)

    async def succeeded(self, reservation: Reservation) -> None:
        if not reservation.shared or not isinstance(reservation.token, str):
            await self._fallback.succeeded(reservation)
            return
        try:
            await self._windows.succeeded(
                bounded_key(reservation.account),
                bounded_key(reservation.address),
                reservation.token,
            )
        except BoardUnavailable as exc:  # the count expires with its window
            self._note_outage(exc)

    async def close(self) -> None:
        await self._windows.close()

    def _note_outage(self, exc: BoardUnavailable) -> None:
        if not self._degraded:
            self._degraded = True
            log.warning("login limits: Redis unreachable (%s); counting on this node", exc)
