"""How often the room is told of one person's typing or idle state.

Every `typing` or `idle` frame used to be relayed to everyone: one client sent ~108,000 in
3 s and a bystander received 9,500 (issue 10). Now each person's state of each kind is told
at most once per `interval` (1 / `VECHE_LIVE_PRESENCE_RATE`), a state equal to the one last
told is not told again, and a change that comes too soon waits for the interval to pass;
then the latest state is told, so the room always ends up with the sender's last word.
Extra frames are dropped silently (no `error` event: that would be traffic of its own).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

Announce = Callable[[bool], Awaitable[None]]
Spawn = Callable[[Coroutine[Any, Any, None]], None]


@dataclass
class _Signal:
    told: bool = False  # what the room was last told (everyone starts active, not typing)
    wanted: bool = False
    next_at: float = 0.0  # loop time before which nothing more is told
    timer: asyncio.TimerHandle | None = None


class Pacer:
    """The typing and idle states of the people in one live room, paced."""

    def __init__(self, interval: float, spawn: Spawn) -> None:
        self._interval, self._spawn = interval, spawn
        self._signals: dict[tuple[int, str], _Signal] = {}  # by (user id, kind)

    async def change(self, user_id: int, kind: str, value: bool, announce: Announce) -> None:
        """The person says their ``kind`` state is ``value``; ``announce`` tells the room."""
        signal = self._signals.setdefault((user_id, kind), _Signal())
        signal.wanted = value
        if signal.timer is not None or value == signal.told:
            return  # a later telling carries the latest state, or nothing changed
        loop = asyncio.get_running_loop()
        wait = signal.next_at - loop.time()
        if wait <= 0:
            await self._tell(signal, announce)
            return

        def due() -> None:
            signal.timer = None
            if signal.wanted != signal.told:
                self._spawn(self._tell(signal, announce))

        signal.timer = loop.call_later(wait, due)

    async def _tell(self, signal: _Signal, announce: Announce) -> None:
        # marked before the await, so that a change arriving meanwhile is paced too
        signal.told = signal.wanted
        signal.next_at = asyncio.get_running_loop().time() + self._interval
        await announce(signal.told)

    def forget(self, user_id: int) -> None:
        """The person left the room: their states start afresh if they come back."""
        for kind in ("typing", "idle"):
            signal = self._signals.pop((user_id, kind), None)
            if signal is not None and signal.timer is not None:
                signal.timer.cancel()

    def stop(self) -> None:
        for signal in self._signals.values():
            if signal.timer is not None:
                signal.timer.cancel()
        self._signals.clear()
