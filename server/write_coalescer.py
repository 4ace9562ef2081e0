"""One transport write per socket per event-loop turn (the `/yjs/` relay's system calls)."""

from __future__ import annotations

import asyncio
from typing import Protocol


class Flushable(Protocol):
    def flush(self) -> None:
        """Write what this turn of the event loop queued, in one transport write."""
        ...


class WriteCoalescer:
    """Writes each socket's frames of one event-loop turn with a single transport write.

    A write is a system call (~5 µs, DESIGN §4); under load several updates arrive in one turn
    and every receiver then gets them in one call instead of one call per frame. Frames stay
    one message each; only the system calls are shared. Measured at 1,000 observers (1 writer,
    200 updates/s, `node bench/loadgen/loadgen.mjs fanout --observers 1000 --duration 5`):
    one write per frame fell behind (p50 1.1 s, 19 % undelivered after 3 s); coalesced, p50
    34 ms and nothing lost. (Delaying the next flush by the previous flush's duration, to
    batch more, measured no better and was dropped.)
    """

    def __init__(self) -> None:
        self._dirty: list[Flushable] = []
        self._scheduled = False

    def mark(self, socket: Flushable) -> None:
        self._dirty.append(socket)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        self._scheduled = False
        for socket in dirty:
            socket.flush()
