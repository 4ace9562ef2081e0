"""The bus between the nodes of one deployment: fire-and-forget messages on named channels.

SQL is the source of truth; the bus is only the fast path. A node publishes what it stored
(with its sequence number or event id) and what is fleeting (awareness); a node that misses
a message finds the hole by its numbers, or re-reads after `on_reconnect`, from SQL.

Two implementations: `LocalBus` (one node: there is nobody to tell) and `RedisBus`
(storage.redis_bus). Every message carries its sender's node id; a node never receives its
own messages.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection

Receiver = Callable[[bytes, bytes], None]  # (sender node id, message)
NODE_ID_BYTES = 16


def new_node_id() -> bytes:
    """A random id for this process, fresh at every start."""
    return uuid.uuid4().bytes


class Bus(ABC):
    """Channels shared by the nodes. `publish` never blocks and never raises: a message
    that cannot go is dropped and counted (the receivers repair from SQL)."""

    def __init__(self, node_id: bytes) -> None:
        if len(node_id) != NODE_ID_BYTES:
            raise ValueError(f"a node id has {NODE_ID_BYTES} bytes")
        self.node_id = node_id
        self._reconnected: list[Callable[[], None]] = []

    @property
    @abstractmethod
    def shared(self) -> bool:
        """Whether other nodes may be listening (False: one node, nothing to follow)."""

    @property
    @abstractmethod
    def connected(self) -> bool:
        """Whether messages go out and come in now."""

    @abstractmethod
    def publish(self, channel: str, message: bytes) -> None: ...

    @abstractmethod
    async def subscribe(self, channel: str, receiver: Receiver) -> None:
        """Deliver the channel's messages from other nodes to ``receiver``."""

    @abstractmethod
    async def unsubscribe(self, channel: str) -> None: ...

    @abstractmethod
    async def listeners(self, channel: str) -> int:
        """How many nodes listen on the channel now (this one included if it does); 0 when
        the bus cannot tell."""

    async def live_nodes(self) -> set[bytes] | None:
        """The ids of the nodes alive now (this one included), or None when the bus cannot
        tell (one node, or Redis unreachable)."""
        return None

    async def gone(self, nodes: Collection[bytes]) -> set[bytes] | None:
        """Which of ``nodes`` have left the bus (a node that dies leaves it at once: its
        connection closes), or None when the bus cannot tell."""
        return None

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the bus comes back after an interruption: whatever was
        published meanwhile is lost and must be read from SQL."""
        self._reconnected.append(callback)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def _tell_reconnected(self) -> None:
        for callback in self._reconnected:
            callback()


class LocalBus(Bus):
    """One node: nothing to publish to, nothing to receive."""

    @property
    def shared(self) -> bool:
        return False

    @property
    def connected(self) -> bool:
        return True

    def publish(self, channel: str, message: bytes) -> None:
        return None

    async def subscribe(self, channel: str, receiver: Receiver) -> None:
        return None

    async def unsubscribe(self, channel: str) -> None:
        return None

    async def listeners(self, channel: str) -> int:
        return 0
