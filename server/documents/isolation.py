"""Which CRDT work the server does itself and which it first sends to the sandbox.

Two doors lead into a document held in memory: loading it (a checkpoint and the updates
after it) and applying a connection's update. At each, the integration bound of crdt/cost.py
decides: under ``inline_steps`` the server does the work at once (every live edit); above it
the work is first done in a sandbox worker (server/documents/sandbox.py) with a deadline, and
the server takes it only when the worker measured it under ``inline_seconds``:

- a load is replayed and compacted in the worker, and the server loads the compacted state
  (Yjs integrates a state's clients in descending order, which is cheap where the original
  update order was quadratic); a load whose compacted state still costs more is refused;
- an update is applied in the worker on a copy of the document; if it was cheap the server
  applies it too, otherwise the connection is closed with 4509 and nothing is kept.

Each connection also has a CPU account for the CRDT time it causes, here and in the sandbox
(``budget_seconds`` per minute); a connection that overdraws it is closed with 4509. Each
document has one for the CRDT time it takes here (``document_budget_seconds``): past it, all
its updates are tried in the sandbox first, so a document that many connections keep busy
slows only itself. docs/crdt-isolation.md has
the figures behind every default.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from crdt.cost import added_items, declared_structs, integration_steps
from crdt.document import Backend, Document, Validated
from crdt.messages import SyncStep2, SyncUpdate, decode_message
from crdt.update_info import summarize_update
from server.documents.sandbox import CrdtSandbox, TooCostly

__all__ = ["CostlyWork", "CpuAccount", "CrdtLimits", "DocumentLoader", "Materialized"]


@dataclass(frozen=True)
class CrdtLimits:
    """Where the server's own CRDT work stops (see the module docstring). The first six come
    from `Settings.crdt_limits` (their defaults and variables are there); the rest are fixed."""

    inline_steps: int  # the integration bound done in place (~37 ns per step at worst)
    inline_seconds: float  # the most sandbox-measured integration the server redoes
    trial_deadline: float
    load_deadline: float
    budget_seconds: float  # CRDT time one connection may cause per minute
    # CRDT time one document may take in this process per minute; past it, every update of
    # that document is tried in the sandbox first until the account refills.
    document_budget_seconds: float
    # Update frames larger than this go to the sandbox unparsed unless they declare at most
    # ``inline_structs`` structs of one client: parsing (validating) an update in Python costs
    # ~9 us an item, ~7 ms for 4 KiB of one-character inserts, but one pasted item is cheap.
    inline_bytes: int = 4096
    inline_structs: int = 500
    inline_load_bytes: int = 4096


class CostlyWork(Exception):
    """A load or an update costs more CRDT work than the limits allow; nothing was kept."""


@dataclass(frozen=True)
class Materialized:
    """A document built from stored parts."""

    document: Document
    replay_seconds: float  # what replaying the parts as stored cost (0 when done inline)

    def needs_checkpoint(self, limits: CrdtLimits) -> bool:
        """Whether the stored parts were costly to replay (a checkpoint makes the next load
        read the compacted state instead)."""
        return self.replay_seconds > limits.inline_seconds


class DocumentLoader:
    """Builds documents from stored parts without letting one stall the server."""

    def __init__(self, backend: Backend, sandbox: CrdtSandbox | None, limits: CrdtLimits) -> None:
        self.backend = backend
        self.sandbox = sandbox
        self.limits = limits

    async def materialize(self, parts: Sequence[bytes]) -> Materialized:
        """A document holding ``parts`` (a checkpoint and the updates after it, in order).

        Raises CostlyWork when even the compacted state is too costly to load, and the
        sandbox's SandboxBusy when its queue is full.
        """
        limits = self.limits
        inline = self._inline_items(parts)
        if inline is not None:
            document = self._fresh()
            for part in parts:
                document.restore(part)
            document.items = inline
            return Materialized(document, 0.0)
        assert self.sandbox is not None
        try:
            loaded = await self.sandbox.load(parts, deadline=limits.load_deadline)
        except TooCostly as exc:
            raise CostlyWork(f"the document is too costly to load: {exc}") from exc
        if loaded.load_seconds > limits.inline_seconds:
            raise CostlyWork(
                f"the document's state takes {loaded.load_seconds * 1000:.0f} ms to load"
            )
        document = self._fresh()
        document.restore(loaded.state)
        document.items = loaded.items
        return Materialized(document, loaded.replay_seconds)

    def _fresh(self) -> Document:
        document = self.backend.new_document()
        document.step_limit = self.limits.inline_steps
        return document

    def _inline_items(self, parts: Sequence[bytes]) -> int | None:
        """The item bound of small parts proven cheap to replay here, else None."""
        size = sum(len(part) for part in parts)
        if self.sandbox is not None and size > self.limits.inline_load_bytes:
            return None
        items = steps = 0
        for part in parts:
            summary = summarize_update(part)
            steps += integration_steps(summary, items)
            items += added_items(summary)
        if self.sandbox is not None and steps > self.limits.inline_steps:
            return None
        return items


class CpuAccount:
    """An allowance of CRDT time: ``budget`` seconds, refilled over a minute."""

    __slots__ = ("_budget", "_left", "_stamp")

    def __init__(self, budget: float) -> None:
        self._budget = budget
        self._left = budget
        self._stamp = time.monotonic()

    def charge(self, seconds: float) -> bool:
        """Spend ``seconds``; False once the account is overdrawn."""
        now = time.monotonic()
        self._left = min(self._budget, self._left + (now - self._stamp) * self._budget / 60.0)
        self._stamp = now
        self._left -= seconds
        return self._left >= 0

    def available(self) -> bool:
        """Whether the account is in credit again (refilled since it was overdrawn)."""
        return self.charge(0.0)


def parse_here(frame: bytes, limits: CrdtLimits) -> bool:
    """Whether parsing this write frame here is cheap enough (see ``inline_bytes``)."""
    if len(frame) <= limits.inline_bytes:
        return True
    structs = declared_structs(frame)
    return structs is not None and structs <= limits.inline_structs


def update_of(frame: bytes) -> bytes | None:
    """The Yjs update a sync update or step-2 frame carries (None for other messages)."""
    message = decode_message(frame)
    if isinstance(message, SyncUpdate | SyncStep2):
        return message.update
    return None


async def try_in_sandbox(
    sandbox: CrdtSandbox,
    limits: CrdtLimits,
    document: Document,
    update: bytes,
    account: CpuAccount,
    lock: asyncio.Lock,
) -> Validated:
    """Apply ``update`` to a copy of ``document`` in the sandbox; if the server may take it
    (its integration measured under ``inline_seconds``), return what the sandbox validated,
    else raise CostlyWork (sandbox errors pass through).

    ``lock`` is the document's: one trial at a time per document, so one document's costly
    updates queue behind each other rather than take every worker.
    """
    async with lock:
        started = time.monotonic()
        try:
            tried = await sandbox.trial(
                document.encode_state(), update, deadline=limits.trial_deadline
            )
        except TooCostly as exc:
            account.charge(time.monotonic() - started)
            raise CostlyWork(f"the update is too costly to integrate: {exc}") from exc
        within = account.charge(time.monotonic() - started)
    if tried.native_seconds > limits.inline_seconds:
        raise CostlyWork(f"the update takes {tried.native_seconds * 1000:.0f} ms to integrate")
    if not within:
        raise CostlyWork("the connection's CRDT budget is spent")
    return Validated(tried.added_items, tried.primary_client)
