"""A live room's ephemeral messages (presence, typing, the floor's time) to its connections,
written at most once per `SPACING` seconds while they come fast.

Every arrival tells everyone `joined`: when a thousand people come within seconds (a session
starting), that was one write per connection per arrival, half a million system calls for a
thousand arrivals, each in an event-loop turn of its own. Here a message that comes while the
room is quiet goes out at once, as before; one that comes within `SPACING` of the last write
waits for the end of that interval, and everything held is then handed to each connection in
one event-loop turn, which writes it with one system call per connection
(server/write_coalescer.py). The messages themselves are unchanged, one frame each, in the
order they were told.

Each held message keeps who it was for: not the connection it excludes (a person's own
`joined`), and not connections attached after it was told (their `welcome` already shows the
room as it is then). A numbered event flushes what is held first (`LiveRoom.publish`), so
events and ephemeral messages reach everyone in the order they happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Protocol

SPACING = 0.05  # seconds: the longest an ephemeral message waits, when they come fast


class Receiver(Protocol):
    attached: int  # the room's count of attachments when this one attached

    def send_frame(self, frame: bytes) -> None: ...


# a message held: its frame, the connection left out, the last attachment it is for
Held = tuple[bytes, object | None, int]


class EphemeralOutbox:
    def __init__(
        self, receivers: Callable[[], Iterable[Receiver]], spacing: float = SPACING
    ) -> None:
        self._receivers = receivers
        self._spacing = spacing
        self._held: list[Held] = []
        self._last = float("-inf")  # when the last write was handed out (loop time)
        self._timer: asyncio.TimerHandle | None = None

    @property
    def holding(self) -> int:
        return len(self._held)

    def add(self, frame: bytes, exclude: object | None, horizon: int) -> None:
        """Send ``frame`` to the receivers attached so far (``horizon``) but ``exclude``: at
        once if the room has been quiet for `SPACING`, else at the end of the interval."""
        self._held.append((frame, exclude, horizon))
        if self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._last + self._spacing - loop.time()
        if wait <= 0:
            self.flush()
        else:
            self._timer = loop.call_later(wait, self.flush)

    def flush(self) -> None:
        """Hand everything held to its receivers now, in the order it was told."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        held, self._held = self._held, []
        if not held:
            return
        self._last = asyncio.get_running_loop().time()
        for receiver in list(self._receivers()):
            for frame, exclude, horizon in held:
                if receiver is not exclude and receiver.attached <= horizon:
                    receiver.send_frame(frame)

    def stop(self) -> None:
        """The room closes: nothing is left to send to."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._held = []
