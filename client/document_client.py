"""`DocumentClient`: a Python y-websocket client for Veche documents, over `websockets`.

    async with DocumentClient("ws://127.0.0.1:8000/yjs", "proposal-1") as client:
        client.doc.get("content", type=Text).insert(0, "Проект за решение")
        await client.wait_saved()

Edit `client.doc` (the backend's native document: a `pycrdt.Doc` by default); local changes
are sent as they happen. The client subscribes to Veche's *saved* notices, so `wait_saved()`
returns once the server has made every change durable. After a dropped connection it
reconnects with backoff and resyncs, except after a 4400-4499 close ("do not reconnect").

pycrdt indexes a `Text` by UTF-8 bytes: convert character positions with
`client.byte_offset(str(text), i)` before `text.insert(...)` (see client/text.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from client.reconnect import is_final, reopen
from crdt.awareness import AwarenessEntry, decode_awareness_update, encode_awareness_update
from crdt.document import Document, load_backend
from crdt.messages import AwarenessMessage, MessageType, SubscribeSaved, encode_message
from crdt.session import PermissionDenied, RemoteUpdate, Role, Saved, Synced, SyncSession

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024 * 1024


class DocumentClientError(Exception):
    """The connection was refused or closed for good (close code in `code`)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class DocumentClient:
    def __init__(
        self,
        base_url: str,
        name: str,
        *,
        token: str | None = None,
        backend: str = "pycrdt",
        reconnect: bool = True,
    ) -> None:
        query = f"?{urlencode({'token': token})}" if token else ""
        self.url = f"{base_url.rstrip('/')}/{quote(name, safe='')}{query}"
        self.name = name
        self.document: Document = load_backend(backend).new_document()
        self.permission_denied: str | None = None
        self.peers: dict[int, Any] = {}  # awareness states of the others, by Yjs client id
        self.close_code: int | None = None
        self._reconnect = reconnect
        self._ws: ClientConnection | None = None
        self._session: SyncSession | None = None
        self._sent_writes = 0
        self._acknowledged = 0
        self._changed = asyncio.Condition()
        self._synced = asyncio.Event()
        self._closing = False
        self._runner: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._notify_pending = False
        self._send_lock = asyncio.Lock()
        self._remote_listeners: list[Callable[[bytes], None]] = []
        self._awareness_clock = 0
        self._awareness_state: Any = None
        self._unsubscribe = self.document.on_local_update(self._on_local_update)

    @property
    def doc(self) -> Any:
        """The native document (pycrdt.Doc or y_py.YDoc) to read and edit."""
        return self.document.native

    @property
    def acknowledged(self) -> int:
        """How many of this connection's write messages the server reported durable."""
        return self._acknowledged

    @property
    def client_id(self) -> int:
        return self.document.client_id

    async def __aenter__(self) -> DocumentClient:
        await self.connect()
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def connect(self, timeout: float = 10.0) -> None:
        """Connect and wait for the initial sync; raises DocumentClientError if refused."""
        await self._open()
        self._runner = asyncio.create_task(self._run())
        self._sender = asyncio.create_task(self._send_loop())
        await self.wait_synced(timeout)

    async def wait_synced(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not self._synced.is_set():
                if self._runner is not None and self._runner.done():
                    raise DocumentClientError("connection closed before sync", self.close_code)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self._synced.wait()

    async def wait_saved(self, timeout: float = 10.0) -> None:
        """Wait until the server reports every change made so far as durable."""
        await self._drain()
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(
                lambda: self._synced.is_set() and self._acknowledged >= self._sent_writes
            )

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `condition()` holds; checked after every message from the server."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(condition)

    def on_remote_update(self, listener: Callable[[bytes], None]) -> None:
        """Call `listener(update)` for every update received from the server."""
        self._remote_listeners.append(listener)

    def set_awareness(self, state: Any) -> None:
        """Publish this client's awareness state (None removes it)."""
        self._awareness_clock += 1
        self._awareness_state = state
        self._send_awareness()

    async def close(self) -> None:
        self._closing = True
        self._unsubscribe()
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.wait({self._sender})
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            with contextlib.suppress(DocumentClientError):
                await self._runner

    async def _open(self) -> None:
        ws = await connect(self.url, max_size=MAX_FRAME, compression=None, open_timeout=10)
        session = SyncSession(self.document, Role.CLIENT)
        self._ws, self._session = ws, session
        self._sent_writes = self._acknowledged = 0
        self._synced.clear()
        await ws.send(encode_message(SubscribeSaved()))
        session.start()
        if self._awareness_state is not None:
            self._send_awareness()
        await self._drain()

    async def _run(self) -> None:
        while True:
            assert self._ws is not None
            try:
                async for frame in self._ws:
                    if isinstance(frame, bytes):
                        await self._receive(frame)
                self.close_code = self._ws.close_code
            except ConnectionClosed as exc:
                self.close_code = exc.rcvd.code if exc.rcvd else None
            if self._closing or not self._reconnect or is_final(self.close_code):
                if is_final(self.close_code):
                    raise DocumentClientError(
                        f"closed by server: {self.close_code}", self.close_code
                    )
                return
            if not await reopen(self._open, lambda: self._closing, self.url):
                return

    async def _receive(self, frame: bytes) -> None:
        assert self._session is not None
        if frame and frame[0] == MessageType.AWARENESS:
            self._apply_awareness(frame)
            async with self._changed:
                self._changed.notify_all()
            return
        for event in self._session.receive(frame):
            if isinstance(event, Synced):
                self._synced.set()
            elif isinstance(event, RemoteUpdate):
                for listener in self._remote_listeners:
                    listener(event.update)
            elif isinstance(event, Saved):
                self._acknowledged = max(self._acknowledged, event.acknowledged)
            elif isinstance(event, PermissionDenied):
                self.permission_denied = event.reason
        await self._drain()
        async with self._changed:
            self._changed.notify_all()

    def _apply_awareness(self, frame: bytes) -> None:
        from crdt.messages import decode_message

        message = decode_message(frame)
        assert isinstance(message, AwarenessMessage)
        for entry in decode_awareness_update(message.update):
            if entry.client_id == self.client_id:
                continue
            if entry.removed:
                self.peers.pop(entry.client_id, None)
            else:
                self.peers[entry.client_id] = json.loads(entry.state_json)

    def _on_local_update(self, update: bytes) -> None:
        if self._session is None:
            return
        self._session.send_update(update)
        self._wake.set()
        self._notify_soon()

    def _send_awareness(self) -> None:
        if self._session is None:
            return
        entry = AwarenessEntry(
            self.client_id, self._awareness_clock, json.dumps(self._awareness_state)
        )
        frame = encode_message(AwarenessMessage(encode_awareness_update([entry])))
        self._session.queue(frame)
        self._wake.set()

    def _notify_soon(self) -> None:
        """Wake `wait_until` callers after a local change (from a synchronous callback)."""
        if not self._notify_pending:
            self._notify_pending = True
            self._wake.set()

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._drain()
            if self._notify_pending:
                self._notify_pending = False
                async with self._changed:
                    self._changed.notify_all()

    async def _drain(self) -> None:
        """Send the session's queued frames in order (one drain at a time)."""
        async with self._send_lock:
            if self._session is None or self._ws is None:
                return
            for frame in self._session.data_to_send():
                if len(frame) > 1 and frame[0] == MessageType.SYNC and frame[1] in (1, 2):
                    self._sent_writes += 1
                try:
                    await self._ws.send(frame)
                except ConnectionClosed:
                    return  # the resync after reconnecting carries what was not sent
