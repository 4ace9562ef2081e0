"""`/api/v1/auth/*`, `/api/v1/me`, `/api/v1/tokens`, `/api/v1/audit` (docs/accounts.md)."""

from __future__ import annotations

import base64
import binascii
import math
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.accounts import InvalidCredentials, InvalidInput, InvalidToken, LoginThrottled
from server.accounts.service import IssuedTokens, Principal
from server.http.bodies import json_object
from server.http.params import int_param, path_id
from server.http.problems import Problem
from storage.accounts import StoredApiToken, StoredUser
from storage.audit import AuditEvent

if TYPE_CHECKING:
    from server.services import Services

MAX_AUDIT_LIMIT = 200
_BEARER = {"WWW-Authenticate": 'Bearer realm="veche"'}


def app_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def unauthorized(detail: str = "a valid bearer token is required") -> Problem:
    return Problem(401, "unauthorized", "Unauthorized", detail, headers=_BEARER)


def _invalid(parameter: str, detail: str) -> Problem:
    return Problem(422, "invalid-parameter", "Invalid parameter", detail, parameter=parameter)


def _string(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str):
        raise _invalid(field, f"{field} must be a string")
    return value


async def principal(request: Request) -> Principal:
    """The caller of a request with `Authorization: Bearer <access or API token>`; 401 else."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise unauthorized()
    try:
        return await app_services(request).sign_in.authenticate(credentials.strip())
    except InvalidToken:
        raise unauthorized("the token is invalid, expired or revoked") from None


def _tokens(issued: IssuedTokens) -> Response:
    return JSONResponse(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "refresh_token": issued.refresh_token,
        },
        headers={"Cache-Control": "no-store"},
    )


async def login(request: Request) -> Response:
    body = await json_object(request)
    name, password = _string(body, "name"), _string(body, "password")
    try:
        issued = await app_services(request).sign_in.login(name, password, client_address(request))
    except LoginThrottled as exc:
        seconds = math.ceil(exc.retry_after)
        raise Problem(
            429,
            "login-throttled",
            "Too many failed logins",
            f"too many failed logins; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        ) from None
    except InvalidCredentials:
        raise Problem(
            401, "invalid-credentials", "Invalid credentials", "wrong name or password"
        ) from None
    return _tokens(issued)


async def refresh(request: Request) -> Response:
    token = _string(await json_object(request), "refresh_token")
    try:
        issued = await app_services(request).sign_in.refresh(token, client_address(request))
    except InvalidToken:
        raise unauthorized("the refresh token is invalid, expired or revoked") from None
    return _tokens(issued)


async def logout(request: Request) -> Response:
    caller = await principal(request)
    try:
        await app_services(request).sign_in.logout(caller, client_address(request))
    except InvalidToken as exc:
        raise Problem(422, "not-a-session", "Not a session", str(exc)) from None
    return Response(status_code=204)


def user_json(user: StoredUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "display_name": user.display_name,
        "locale": user.locale,
        "is_admin": user.is_admin,
        "created_at": user.created_at.isoformat(),
    }


async def me(request: Request) -> Response:
    return JSONResponse(user_json((await principal(request)).user))


def _token_json(token: StoredApiToken) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return None if value is None else str(value.isoformat())

    return {
        "id": token.id,
        "label": token.label,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
    }


async def tokens(request: Request) -> Response:
    caller = await principal(request)
    accounts = app_services(request).accounts
    if request.method == "GET":
        listed = await accounts.store.list_api_tokens(caller.user.id)
        return JSONResponse({"tokens": [_token_json(t) for t in listed]})
    body = await json_object(request)
    label = _string(body, "label") if body.get("label") is not None else "api"
    try:
        token, secret = await accounts.issue_api_token(
            caller.user, label, address=client_address(request)
        )
    except InvalidInput as exc:
        raise _invalid("label", str(exc)) from None
    return JSONResponse(
        {**_token_json(token), "token": secret},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


async def revoke_token(request: Request) -> Response:
    caller = await principal(request)
    raw = request.path_params["token_id"]
    token_id = path_id(raw)
    revoked = await app_services(request).accounts.revoke_api_token(
        caller.user, token_id, address=client_address(request)
    )
    if not revoked:
        raise Problem(
            404, "token-not-found", "Token not found", f"you have no live token with id {raw}"
        )
    return Response(status_code=204)


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor_user_id": event.actor_user_id,
        "action": event.action,
        "room_id": event.room_id,
        "address": event.address,
        "details": event.details,
    }


def _encode_cursor(event_id: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{event_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    prefix, _, number = text.partition(":")
    if prefix != "audit" or path_id(number) < 0:
        raise _invalid("cursor", "cursor is not one this API issued")
    return int(number)


async def audit(request: Request) -> Response:
    caller = await principal(request)
    if not caller.user.is_admin:
        raise Problem(403, "forbidden", "Forbidden", "the audit log is for administrators")
    limit = int_param(request, "limit", 50, 1, MAX_AUDIT_LIMIT)
    cursor = request.query_params.get("cursor")
    before = None if cursor is None else _decode_cursor(cursor)
    events = await app_services(request).audit.page(before_id=before, limit=limit)
    next_cursor = _encode_cursor(events[-1].id) if len(events) == limit else None
    return JSONResponse({"events": [_event_json(e) for e in events], "next_cursor": next_cursor})
