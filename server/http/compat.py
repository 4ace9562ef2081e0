"""TEMPORARY (issue 11 in progress): what the not-yet-declared handlers used from the old
auth and rooms modules. Deleted when every module is declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from server.accounts import BearerRequired
from server.accounts.service import Principal
from server.http.problems import Problem
from server.rooms.service import Rooms, RoomView
from storage.accounts import StoredUser

if TYPE_CHECKING:
    from server.services import Services

_BEARER = {"WWW-Authenticate": 'Bearer realm="veche"'}


def app_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def unauthorized(detail: str = "a valid bearer token is required") -> Problem:
    return Problem(401, "unauthorized", "Unauthorized", detail, headers=_BEARER)


async def principal(request: Request) -> Principal:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise BearerRequired
    return await app_services(request).sign_in.authenticate(credentials.strip())


async def in_room(
    request: Request, action: Callable[[Rooms, RoomView, StoredUser | None], Awaitable[Response]]
) -> Response:
    caller = None
    if "authorization" in request.headers:
        caller = (await principal(request)).user
    rooms = app_services(request).rooms
    view = await rooms.view(request.path_params["slug"], caller)
    return await action(rooms, view, caller)
