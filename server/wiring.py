"""What the composition root builds differently on one node and on several: the bus, presence,
the login throttle and the /readyz probe use Redis when `VECHE_REDIS_URL` is set (redis-py is
imported only then), and the signing key comes from the environment or a kept file."""

from __future__ import annotations

import logging

from server.accounts import secret_key
from server.accounts.ratelimit import SlidingWindow
from server.accounts.throttle import LocalThrottle, LoginThrottle, SharedThrottle
from server.live.presence import LocalPresence
from server.live.shared_presence import SharedPresence
from server.settings import Settings
from storage.bus import Bus, LocalBus, new_node_id

log = logging.getLogger(__name__)


class RedisProbe:
    """Answers /readyz for the configured Redis (the bus and presence come with scaling)."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis  # optional extra: only needed when configured

        self._client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    async def ping(self) -> object:
        return await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()


def login_throttle(settings: Settings) -> LoginThrottle:
    """Failed logins counted on this node, or in Redis for every node when configured."""
    limits = (settings.login_failures_per_account, settings.login_failures_per_address)
    local = LocalThrottle(
        SlidingWindow(limits[0], settings.login_window),
        SlidingWindow(limits[1], settings.login_window),
    )
    if settings.redis_url is None:
        return local
    from storage.redis_login_windows import RedisLoginWindows  # only needed when configured

    return SharedThrottle(RedisLoginWindows(settings.redis_url), limits, local)


def start_bus(settings: Settings) -> Bus:
    """Redis when configured (several nodes), else the one-node bus."""
    node_id = new_node_id()
    if settings.redis_url is None:
        return LocalBus(node_id)
    from storage.redis_bus import RedisBus  # optional extra: only needed when configured

    return RedisBus(settings.redis_url, node_id)


def start_presence(settings: Settings, bus: Bus) -> LocalPresence | SharedPresence:
    """Presence in Redis beside the bus when configured, else in process."""
    if settings.redis_url is None:
        return LocalPresence()
    from storage.redis_presence import RedisPresenceStore

    return SharedPresence(RedisPresenceStore(settings.redis_url, bus.node_id), bus)


def signing_key(settings: Settings) -> bytes:
    """`VECHE_SECRET_KEY`, else the key generated on first start and kept in a 0600 file."""
    if settings.secret_key is not None:
        return settings.secret_key.encode()
    path = settings.secret_key_file()
    existed = path.exists()
    key = secret_key.load_or_create(path)
    if not existed:
        log.warning("VECHE_SECRET_KEY is unset: generated a signing key in %s", path)
    return key
