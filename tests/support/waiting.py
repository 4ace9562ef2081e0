"""Waiting for a condition that lives outside this process (HTTP, a database, a child)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

POLL_SECONDS = 0.02


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll `check` until it returns True; TimeoutError after `timeout` seconds.

    Only for state that sends no event this process could wait on (another process, the
    database, the server's HTTP view); in-process conditions wait on their own events.
    """
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110  (nothing to wait on: see docstring)
            await asyncio.sleep(POLL_SECONDS)
