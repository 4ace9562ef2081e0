"""Re-checks the access of open document connections, every few seconds and on demand.

A token revoked, a session signed out, a member removed or demoted, a room archived or made
private: the next review closes the connections that lost the right to read (4401 for a dead
credential, 4404 when the room is now hidden from them) and makes read-only the ones that
lost the right to write. HTTP handlers that change any of these call `wake()`, so on this node
it happens at once; the timer covers changes made elsewhere (another node, the CLI).

Live-room connections are reviewed too, and also told their role as it is now: what a live
connection is shown depends on it (a demoted moderator must stop receiving moderators-only
events at once, issue 10), while a document connection only needs to know whether it writes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from server.closecodes import CloseCode
from server.documents.admission import CLOSE_CODES, Admission
from server.documents.connection import Access
from server.documents.registry import DocumentRegistry
from server.supervisor import TaskSupervisor

log = logging.getLogger(__name__)


class _Outlet(Protocol):
    def close(self, code: CloseCode, reason: str) -> None: ...


class _RoleReview(Protocol):
    async def review_roles(self, connections: list[Any]) -> None: ...


class Reviewed(Protocol):
    """A connection of another kind (a live room's) whose access is reviewed with these:
    closed when it may no longer read; what it may write is checked on every command; its
    ``roles`` (when set) re-reads the role of the ones that stay, in one query per source."""

    @property
    def access(self) -> Access | None: ...

    @property
    def outlet(self) -> _Outlet: ...

    @property
    def roles(self) -> _RoleReview | None: ...


def _reviewable(access: Access) -> bool:
    # anonymous on a document outside rooms: nothing could have changed
    return access.user_id is not None or access.room_id is not None


HURRIED_SECONDS = 1.0


class AccessReviewer:
    def __init__(
        self,
        admission: Admission,
        documents: DocumentRegistry,
        every: float,
        others: Callable[[], Iterable[Reviewed]] = tuple,
        *,
        tasks: TaskSupervisor | None = None,
        hurried: Callable[[], bool] = lambda: False,
    ) -> None:
        self._admission, self._documents, self._every = admission, documents, every
        # True while changes made on other nodes cannot be heard (the bus is down): review
        # every HURRIED_SECONDS then, so that a vote opened elsewhere freezes here soon
        self._hurried = hurried
        self._others = others  # more connections to review: the live rooms'
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._supervisor = tasks or TaskSupervisor()

    async def start(self) -> None:
        self._task = self._supervisor.spawn(self._run(), name="access review")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        """Review as soon as possible (something that grants access changed)."""
        self._wake.set()

    async def review_now(self) -> None:
        documents = [c for c in self._documents.connections() if _reviewable(c.access)]
        others = [c for c in self._others() if c.access is not None and _reviewable(c.access)]
        accesses = {c.access for c in documents} | {c.access for c in others if c.access}
        if not accesses:
            return
        verdicts = await self._admission.review(accesses)
        for connection in documents:
            verdict = verdicts[connection.access]
            if verdict.refused is not None:
                code = CLOSE_CODES[verdict.refused.refusal]
                connection.close(code, verdict.refused.detail)
            elif verdict.access is not None and verdict.access != connection.access:
                connection.grant(verdict.access)
        kept: dict[int, tuple[_RoleReview, list[Reviewed]]] = {}
        for other in others:
            assert other.access is not None
            refused = verdicts[other.access].refused
            if refused is not None:
                other.outlet.close(CLOSE_CODES[refused.refusal], refused.detail)
            elif other.roles is not None:
                kept.setdefault(id(other.roles), (other.roles, []))[1].append(other)
        for source, connections in kept.values():
            await source.review_roles(connections)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            try:  # a short tick, so that a bus lost in the middle of a long wait is seen
                async with asyncio.timeout(min(self._every, HURRIED_SECONDS)):
                    await self._wake.wait()
            except TimeoutError:
                if not self._hurried() and loop.time() - last < self._every:
                    continue
            self._wake.clear()
            last = loop.time()
            try:
                await self.review_now()
            except Exception:  # a database outage: keep the loop, try again next time
                log.warning("access review failed; retrying", exc_info=True)
