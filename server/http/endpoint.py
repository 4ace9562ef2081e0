"""Declared endpoints: each REST handler states its body, query and answer as msgspec types.

An `Api` collects the endpoints of one area; its `routes` are Starlette routes whose endpoint
decodes and validates the request from the declaration (a bad value is a 422
`invalid-parameter` naming it, a body that is not a JSON object a 400 `invalid-body`), calls
the handler with a typed `Call`, and encodes what it returns. The OpenAPI document
(server/http/openapi.py) is generated from the same declarations, so the two cannot drift.
docs/http-api.md says how to add an endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.accounts import BearerRequired
from server.http.bodies import invalid_body, parse_json
from server.http.params import invalid_parameter, path_id
from server.http.problems import Problem
from server.i18n import translatable

if TYPE_CHECKING:
    from server.accounts.service import Principal
    from server.rooms.service import RoomView
    from server.services import Services
    from storage.accounts import StoredUser

N_ = translatable("problems")
B = TypeVar("B")
Q = TypeVar("Q")
Auth = Literal["bearer", "optional", "none"]
JSON = "application/json"
_PATH_PARAM = re.compile(r"{([a-z_]+)}")
_FIELD = re.compile(r" - at `\$\.?([A-Za-z_][A-Za-z0-9_]*)?[^`]*`$")


class NoBody(msgspec.Struct):
    """The request of an endpoint that takes no body (any body sent is ignored)."""


class NoQuery(msgspec.Struct):
    """The query of an endpoint that takes no query parameters (any sent are ignored)."""


@dataclass(frozen=True)
class Reply:
    """An answer with a status or headers other than the endpoint's declared ones."""

    value: object
    status: int | None = None
    headers: Mapping[str, str] | None = None


@dataclass
class Call(Generic[B, Q]):
    """One request to a declared endpoint: its decoded body and query, and the services."""

    request: Request
    body: B
    query: Q

    @property
    def services(self) -> Services:
        services: Services = self.request.app.state.services
        return services

    @property
    def address(self) -> str | None:
        return self.request.client.host if self.request.client else None

    def path(self, name: str) -> str:
        value: str = self.request.path_params[name]
        return value

    def path_id(self, name: str) -> int:
        """An id from the path; -1 (which no row has) for anything that is not one."""
        return path_id(self.path(name))

    def token(self) -> str | None:
        """The bearer token, None without one (another scheme counts as none, as for the
        `/yjs/` socket: the document API admits anonymous callers the same way)."""
        scheme, _, credentials = self.request.headers.get("authorization", "").partition(" ")
        return credentials.strip() or None if scheme.lower() == "bearer" else None

    async def principal(self) -> Principal:
        """The caller with `Authorization: Bearer <access or API token>`; BearerRequired or
        InvalidToken else."""
        scheme, _, credentials = self.request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise BearerRequired
        return await self.services.sign_in.authenticate(credentials.strip())

    async def caller(self) -> StoredUser | None:
        """The signed-in user, None without an Authorization header; InvalidToken for a bad
        token."""
        if "authorization" not in self.request.headers:
            return None
        return (await self.principal()).user

    async def room(self) -> RoomView:
        """The room of the path's `{slug}` as the caller sees it (RoomNotFound if hidden)."""
        return await self.services.rooms.view(self.path("slug"), await self.caller())


Handler = Callable[[Call[Any, Any]], Awaitable[object]]


@dataclass(frozen=True)
class Endpoint:
    """What the OpenAPI document says of one operation, and how to run it."""

    method: str
    path: str
    handler: Handler
    summary: str
    body: type[Any] = NoBody
    query: type[Any] = NoQuery
    answer: type[Any] | None = None
    status: int = 200
    also: tuple[int, ...] = ()
    errors: tuple[int, ...] = ()
    auth: Auth = "none"
    ids: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    tag: str = ""
    description: str = ""

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)

    async def handle(self, request: Request) -> Response:
        body = await _body(request, self.body) if self.body is not NoBody else NoBody()
        query = _query(request, self.query) if self.query is not NoQuery else NoQuery()
        answer = await self.handler(Call(request, body, query))
        return self._respond(answer)

    def _respond(self, answer: object) -> Response:
        status, headers = self.status, None
        if isinstance(answer, Response):
            return answer
        if isinstance(answer, Reply):
            status, headers = answer.status or status, answer.headers
            answer = answer.value
        if answer is None:
            return Response(status_code=status, headers=headers)
        return Response(msgspec.json.encode(answer), status, headers, media_type=JSON)


@dataclass
class Api:
    """The endpoints of one area of the API (rooms, accounts, decisions, documents…)."""

    tag: str
    prefix: str = "/api/v1"
    endpoints: list[Endpoint] = field(default_factory=list)

    def get(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        return self._declare("GET", path, declared)

    def post(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        return self._declare("POST", path, declared)

    def put(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        return self._declare("PUT", path, declared)

    def patch(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        return self._declare("PATCH", path, declared)

    def delete(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        return self._declare("DELETE", path, declared)

    def _declare(
        self, method: str, path: str, declared: dict[str, Any]
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            summary = declared.pop("summary", None) or (handler.__doc__ or "").strip()
            self.endpoints.append(
                Endpoint(method, path, handler, summary.split("\n")[0], tag=self.tag, **declared)
            )
            return handler

        return register

    @property
    def routes(self) -> list[Route]:
        """One route per operation, paths relative to the API's mount (`/api/v1`)."""
        return [Route(e.path, e.handle, methods=[e.method]) for e in self.endpoints]


async def _body(request: Request, kind: type[B]) -> B:
    value = parse_json(await request.body())
    if not isinstance(value, dict):
        raise invalid_body(N_("the body must be a JSON object"))
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None


def _query(request: Request, kind: type[Q]) -> Q:
    try:
        return msgspec.convert(dict(request.query_params), kind, strict=False)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: msgspec.ValidationError) -> Problem:
    """`Expected int <= 200 - at $.limit` → 422 invalid-parameter `limit`: `limit` is …"""
    message = str(exc)
    found = _FIELD.search(message)
    name = found.group(1) if found and found.group(1) else None
    if name is None:  # "Object missing required field `title`"
        missing = re.search(r"field `([^`]+)`", message)
        name = missing.group(1) if missing else "body"
    reason = _FIELD.sub("", message)
    reason = reason[0].lower() + reason[1:] if reason else "invalid"
    return invalid_parameter(name, f"{name}: {reason}"[:300])


def endpoint_of(route: object) -> Endpoint | None:
    """The declaration behind a route, None for an undeclared one (health, metrics…)."""
    found = getattr(getattr(route, "endpoint", None), "__self__", None)
    return found if isinstance(found, Endpoint) else None


def encode(value: object) -> bytes:
    return msgspec.json.encode(value)
