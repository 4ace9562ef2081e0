"""uvicorn's WebSocket protocol slot: `/yjs/` and `/live/` to Veche's own sockets, the rest
to ASGI."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server.document_socket import DOCUMENT_PATH, DocumentSocket
from server.live.socket import live_session
from server.live.wire import LIVE_PATH, LiveSocket


class VecheWebSocketProtocol(asyncio.Protocol):
    """uvicorn's `ws` protocol class: routes each upgraded connection by its path."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._config = config
        self._server_state = server_state
        self._app_state = app_state
        self._transport: asyncio.BaseTransport | None = None
        self._delegate: asyncio.Protocol | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if self._delegate is None:
            self._delegate = self._choose(data)
            assert self._transport is not None
            self._delegate.connection_made(self._transport)
        self._delegate.data_received(data)

    def eof_received(self) -> bool | None:
        return self._delegate.eof_received() if self._delegate is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._delegate is not None:
            self._delegate.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._delegate is not None:
            self._delegate.pause_writing()

    def resume_writing(self) -> None:
        if self._delegate is not None:
            self._delegate.resume_writing()

    def _choose(self, request: bytes) -> asyncio.Protocol:
        target = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b""
        services = self._app_state.get("services")
        if target.startswith(DOCUMENT_PATH.encode()) and services is not None:
            return DocumentSocket(services, self._server_state)
        if target.startswith(LIVE_PATH.encode()) and services is not None:
            return LiveSocket(services, self._server_state, live_session)
        return WebSocketsSansIOProtocol(self._config, self._server_state, self._app_state)
