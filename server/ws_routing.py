"""uvicorn's WebSocket protocol slot: `/yjs/` and `/live/` to Veche's own sockets, the rest
to ASGI."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol
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


def _http_base() -> type[asyncio.Protocol]:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is in the `speed` extra
        return H11Protocol
    return HttpToolsProtocol


_HttpBase: Any = _http_base()


class VecheHttpProtocol(_HttpBase):  # type: ignore[misc]
    """uvicorn's HTTP protocol (httptools' when installed, else h11's), letting go of itself
    once it has handed a connection to a WebSocket. uvicorn's protocol and its parser refer to
    each other, so after the upgrade only the cyclic collector could free them, and `veche
    serve` runs it rarely (server/cli.py): about 1.4 KiB per open socket stayed allocated."""

    def handle_websocket_upgrade(self, *args: Any) -> Any:
        result = super().handle_websocket_upgrade(*args)
        self.parser = None  # the parser's link back to the protocol: the cycle is broken
        self.cycle = None
        return result
