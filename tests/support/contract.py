"""Every REST exchange of the test suite checked against the generated OpenAPI document.

`ContractRecorder` wraps each in-process test server (tests/support/server.py). For each
answer of a declared endpoint it hands the request and the response to `CONTRACT`, which
validates them with openapi-core: the response always (its status must be declared, and its
body must match that status's schema), the request when the answer is a success (a refused
request is refused precisely because it does not match). The first few exchanges of each
operation and status are validated, so the cost stays bounded however long the suite grows.
tests/conftest.py fails the test during which a mismatch was seen.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from werkzeug.datastructures import Headers, ImmutableMultiDict

from server.http.endpoint import Endpoint
from server.http.openapi import build

PER_KEY = 3  # exchanges validated per (operation, status)
NOT_IN_CONTRACT = {405, 500}  # a method the path lacks; a crash (a failure of its own)


@dataclass
class Exchange:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""


class _Request:
    """An exchange's request as openapi-core reads it."""

    def __init__(self, exchange: Exchange) -> None:
        self.method = exchange.method.lower()
        self.host_url = "http://127.0.0.1"
        self.path = exchange.path
        self.full_url_pattern = self.host_url + exchange.path
        self.body = exchange.body or None
        self.content_type = exchange.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(exchange.query, keep_blank_values=True)),
            header=Headers(exchange.headers),
            cookie=ImmutableMultiDict([]),
        )


class _Response:
    def __init__(self, exchange: Exchange) -> None:
        self.status_code = exchange.status
        self.data = exchange.response_body
        self.content_type = exchange.response_headers.get("content-type", "").split(";")[0]
        self.headers = Headers(exchange.response_headers)


class Contract:
    def __init__(self) -> None:
        self._openapi: OpenAPI | None = None
        self._seen: Counter[tuple[str, str, int]] = Counter()
        self.failures: list[str] = []
        self.checked = 0

    def _spec(self, routes: list[BaseRoute]) -> OpenAPI:
        if self._openapi is None:
            # problem documents are JSON too (RFC 9457); Markdown and CSV are text
            config = Config(
                extra_media_type_deserializers={
                    "application/problem+json": json.loads,
                    "text/markdown": lambda data: data.decode(),
                    "text/csv": lambda data: data.decode(),
                    "text/html": lambda data: data.decode(),
                }
            )
            self._openapi = OpenAPI.from_dict(build(routes), config=config)
        return self._openapi

    def check(self, routes: list[BaseRoute], endpoint: Endpoint, exchange: Exchange) -> None:
        if exchange.status in NOT_IN_CONTRACT or exchange.method != endpoint.method:
            return
        key = (endpoint.method, endpoint.path, exchange.status)
        self._seen[key] += 1
        if self._seen[key] > PER_KEY:
            return
        failure = self.validate(routes, exchange)
        if failure is not None:
            self.failures.append(failure)

    def validate(self, routes: list[BaseRoute], exchange: Exchange) -> str | None:
        """None when the exchange keeps to the OpenAPI document, else what is wrong."""
        openapi, request = self._spec(routes), _Request(exchange)
        self.checked += 1
        try:
            openapi.validate_response(request, _Response(exchange))
            if 200 <= exchange.status < 300:
                openapi.validate_request(request)
        except Exception as exc:  # every validation error is a contract failure
            return (
                f"{exchange.method} {exchange.path}?{exchange.query} → {exchange.status}: "
                f"{type(exc).__name__}: {str(exc)[:400]} {str(exc.__cause__ or '')[:400]} "
                f"(response {exchange.response_body[:300]!r})"
            )
        return None


CONTRACT = Contract()


class ContractRecorder:
    """ASGI middleware: records the API's exchanges and checks them against the contract."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app, self.routes = app, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/v1/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        exchange = Exchange(
            scope["method"], scope["path"], scope["query_string"].decode(), headers, b""
        )

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                exchange.body += message.get("body", b"")
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                exchange.response_body += message.get("body", b"")
            await send(message)

        await self.app(scope, receiving, sending)
        endpoint = getattr(scope.get("endpoint"), "__self__", None)
        if isinstance(endpoint, Endpoint):
            CONTRACT.check(self.routes, endpoint, exchange)


def recorded(app: Any) -> ASGIApp:
    """``app`` with its API exchanges checked against its OpenAPI document."""
    return ContractRecorder(app, app.routes)
