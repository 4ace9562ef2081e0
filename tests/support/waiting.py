"""Waiting for a condition that lives outside this process (HTTP, a database, a child)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

POLL_SECONDS = 0.02


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll `check` until it returns True; TimeoutError after `timeout` seconds.

    Only for state that sends no event this process could wait on (another process, the
    database, the server's HTTP view); in-process conditions wait on their own events.
    """
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110  (nothing to wait on: see docstring)
            await asyncio.sleep(POLL_SECONDS)


def serving(
    process: asyncio.subprocess.Process, url: str, name: str
) -> Callable[[], Awaitable[bool]]:
    """A check for `eventually`: ``url`` answers 200; RuntimeError once ``process`` exited."""

    async def check() -> bool:
        if process.returncode is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(url)).status_code == 200
        except httpx.TransportError:
            return False

    return check
