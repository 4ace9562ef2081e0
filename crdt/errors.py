"""Exceptions of the ``crdt`` package.

Hierarchy::

    CrdtError                      root of the package
    ├── ProtocolError              malformed y-websocket message (server closes 1002)
    │   ├── UnsupportedMessageError  well-formed, unknown message type (server closes 1003)
    │   └── UpdateError            Yjs update that cannot be decoded or applied (1002)
    ├── CostlyUpdate               a well-formed update whose integration may cost more than
    │                              the document's step limit; nothing was applied
    └── BackendUnavailableError    the requested document backend is not installed

Decoding arbitrary bytes raises only :class:`ProtocolError` subclasses.
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "CostlyUpdate",
    "CrdtError",
    "ProtocolError",
    "UnsupportedMessageError",
    "UpdateError",
]


class CrdtError(Exception):
    """Root of every error raised by ``crdt``."""


class ProtocolError(CrdtError):
    """A frame or payload is malformed (truncated, out of range, invalid UTF-8...)."""


class UnsupportedMessageError(ProtocolError):
    """A well-formed message of a type (or sub-type) this implementation does not know."""


class UpdateError(ProtocolError):
    """A Yjs update (or state vector) cannot be decoded or applied."""


class BackendUnavailableError(CrdtError):
    """The requested document backend is not installed."""


class CostlyUpdate(CrdtError):
    """An update's integration bound (crdt/cost.py) is over the document's step limit.

    Nothing was applied. Attributes: ``steps`` (the bound) and ``limit``.
    """

    def __init__(self, steps: int, limit: int) -> None:
        super().__init__(f"integrating this update may take {steps} steps (limit {limit})")
        self.steps = steps
        self.limit = limit
