"""Failed-login windows shared by every node, in Redis (server/accounts/throttle.py uses them).

One sorted set per counted key (an account name or an address): a member per failure,
scored by its time on Redis's clock, so the nodes' clocks do not matter. A Lua script checks
both keys and counts the attempt in one step: two nodes cannot both let the last allowed
attempt through. Each set expires a window after its last failure; nothing else stays.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from storage.errors import BoardUnavailable

# KEYS: the account's set, the address's set. ARGV: window (s), account limit, address limit,
# member. Returns "wait <seconds>" (nothing counted) or "ok".
_RESERVE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', t - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[1 + i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + window - t
    if w > wait then wait = w end
  end
end
if wait > 0 then return 'wait ' .. string.format('%.3f', math.max(wait, 0.001)) end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, t, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
end
return 'ok'
"""


class RedisLoginWindows:
    """Counts failed logins per account and per address across the nodes."""

    def __init__(self, url: str) -> None:
        self._client: Redis = Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0)
        )
        self._reserve = self._client.register_script(_RESERVE)

    async def close(self) -> None:
        await self._client.aclose()

    @staticmethod
    def _keys(account: str, address: str) -> list[str]:
        return [f"login/account/{account}", f"login/address/{address}"]

    async def reserve(
        self, account: str, address: str, limits: tuple[int, int], window: float
    ) -> str | float:
        """Count a failure for both keys now, unless either has reached its limit: the
        member to give back on success, or the seconds to wait (nothing counted).

        Raises:
            BoardUnavailable: Redis cannot be reached.
        """
        member = uuid.uuid4().hex
        try:
            answer = await self._reserve(
                keys=self._keys(account, address), args=[window, *limits, member]
            )
        except (RedisError, OSError) as exc:
            raise BoardUnavailable(str(exc)) from exc
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        if text.startswith("wait "):
            return float(text.removeprefix("wait "))
        return member

    async def succeeded(self, account: str, address: str, member: str) -> None:
        """A login counted by `reserve` succeeded: the account's failures are forgotten and
        the address's count given back.

        Raises:
            BoardUnavailable: Redis cannot be reached.
        """
        account_key, address_key = self._keys(account, address)
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.delete(account_key)
                pipe.zrem(address_key, member)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BoardUnavailable(str(exc)) from exc
