"""What both SDK clients do after a dropped connection: try again, backing off."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from websockets.exceptions import ConnectionClosed

log = logging.getLogger(__name__)

FINAL_CLOSES = range(4400, 4500)  # the server said: do not come back


def is_final(code: int | None) -> bool:
    return code is not None and code in FINAL_CLOSES


async def reopen(
    open_: Callable[[], Awaitable[None]], closing: Callable[[], bool], where: str
) -> bool:
    """Call ``open_`` until it succeeds (True) or ``closing()`` (False); jittered
    exponential backoff from 0.1 s up to 5 s between tries."""
    backoff = 0.1
    while not closing():
        await asyncio.sleep(backoff * (1 + random.random()))
        backoff = min(backoff * 2, 5.0)
        try:
            await open_()
            return True
        except (OSError, ConnectionClosed, TimeoutError) as exc:
            log.info("reconnect to %s failed: %s", where, exc)
    return False
