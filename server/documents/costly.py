"""A connection's update over the inline bound: tried in the sandbox, then taken or refused.

The socket stops reading the connection meanwhile (its later frames wait, in order); this
module decides and closes the connection when the update is refused (docs/crdt-isolation.md).
"""

from __future__ import annotations

from crdt.document import Validated
from crdt.errors import ProtocolError
from server.closecodes import CloseCode
from server.documents.connection import DocumentConnection
from server.documents.isolation import CostlyWork, try_in_sandbox, update_of
from server.documents.registry import DocumentRegistry
from server.documents.sandbox import SandboxBusy, SandboxRefused
from server.documents.shared import SharedDocument
from server.metrics import Metrics


async def admit_costly(
    registry: DocumentRegistry,
    metrics: Metrics,
    shared: SharedDocument,
    connection: DocumentConnection,
    message: bytes,
) -> Validated | None:
    """What the sandbox validated when the server may take ``message``'s update; None when it
    is refused (the connection is closed then, with the code that says why)."""
    try:
        update = update_of(message)
    except ProtocolError as exc:
        connection.close(CloseCode.PROTOCOL_ERROR, str(exc))
        return None
    if update is None:  # is_write() looked at two bytes only
        connection.close(CloseCode.PROTOCOL_ERROR, "not an update")
        return None
    try:
        return await try_in_sandbox(
            registry.sandbox,
            registry.loader.limits,
            shared.document,
            update,
            connection.cpu,
            shared.trial_lock,
        )
    except CostlyWork as exc:
        metrics.updates_too_costly.inc()
        connection.close(CloseCode.UPDATE_TOO_COSTLY, str(exc))
    except SandboxBusy as exc:
        connection.close(CloseCode.OVERLOADED, str(exc))
    except SandboxRefused as exc:
        connection.close(CloseCode.PROTOCOL_ERROR, f"update refused: {exc}")
    return None
