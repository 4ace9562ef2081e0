"""`/api/v1/auth/*`, `/api/v1/me`, `/api/v1/tokens`, `/api/v1/audit` (docs/accounts.md)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import msgspec
from starlette.responses import Response

from server.accounts import AdminOnly, InvalidToken, TokenNotFound
from server.accounts.service import IssuedTokens
from server.http.browser_session import COOKIE, cookie_token, end_session, keep_session
from server.http.endpoint import Api, Call, NoBody, NoQuery, Reply
from server.http.params import invalid_parameter, path_id
from server.http.types import OptionalTime, Time, iso, optional_iso
from server.i18n import translatable
from storage.accounts import StoredApiToken, StoredUser
from storage.audit import AuditEvent

N_ = translatable("problems")
MAX_AUDIT_LIMIT = 200
NO_STORE = {"Cache-Control": "no-store"}
api = Api("accounts")


class Credentials(msgspec.Struct):
    name: str
    password: str
    # a browser's sign-in: the refresh token goes into the session cookie, not the answer
    cookie: bool = False


class Refresh(msgspec.Struct):
    # absent: the session cookie's (a browser's; its Origin is checked)
    refresh_token: str | None = None


class Tokens(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str | None  # null when it went into the session cookie


class User(msgspec.Struct):
    id: int
    name: str
    display_name: str
    locale: str
    is_admin: bool
    created_at: Time


class ApiToken(msgspec.Struct):
    id: int
    label: str
    created_at: OptionalTime
    last_used_at: OptionalTime
    revoked_at: OptionalTime


class IssuedApiToken(ApiToken):
    token: str


class ApiTokenList(msgspec.Struct):
    tokens: list[ApiToken]


class NewApiToken(msgspec.Struct):
    label: str | None = None  # "api" when absent


class AuditEventShown(msgspec.Struct):
    id: int
    at: Time
    actor_user_id: int | None
    action: str
    room_id: int | None
    address: str | None
    details: dict[str, Any]


class AuditPage(msgspec.Struct):
    events: list[AuditEventShown]
    next_cursor: str | None


class AuditQuery(msgspec.Struct):
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_AUDIT_LIMIT)] = 50
    cursor: str | None = None


def _tokens(call: Call[Any, NoQuery], issued: IssuedTokens, cookie: bool) -> Response | Reply:
    if not cookie:
        shown = Tokens(issued.access_token, "Bearer", issued.expires_in, issued.refresh_token)
        return Reply(shown, headers=NO_STORE)
    shown = Tokens(issued.access_token, "Bearer", issued.expires_in, None)
    response = Response(msgspec.json.encode(shown), media_type="application/json", headers=NO_STORE)
    keep_session(response, call.request, issued.refresh_token, call.services.settings.session_ttl)
    return response


@api.post("/auth/login", body=Credentials, answer=Tokens, errors=(400, 401, 422, 429))
async def login(call: Call[Credentials, NoQuery]) -> Response | Reply:
    """Sign in with a name and password (rate-limited per account and address);
    with `cookie: true` the refresh token is set in the HttpOnly session cookie instead"""
    sign_in = call.services.sign_in
    issued = await sign_in.login(call.body.name, call.body.password, call.address)
    return _tokens(call, issued, call.body.cookie)


@api.post("/auth/refresh", body=Refresh, answer=Tokens, errors=(400, 401, 403, 422))
async def refresh(call: Call[Refresh, NoQuery]) -> Response | Reply:
    """Rotate a refresh token (the body's, else the session cookie's, which must come with
    this site's Origin); presenting a rotated one revokes the session"""
    presented = call.body.refresh_token
    from_cookie = presented is None
    if presented is None:
        presented = cookie_token(call.request)
    if presented is None:
        raise InvalidToken("no refresh token in the body or the session cookie")
    return _tokens(call, await call.services.sign_in.refresh(presented, call.address), from_cookie)


@api.post("/auth/logout", status=204, errors=(401, 422), auth="bearer")
async def logout(call: Call[NoBody, NoQuery]) -> Response:
    """Revoke the session of the access token (and clear the session cookie)"""
    await call.services.sign_in.logout(await call.principal(), call.address)
    response = Response(status_code=204)
    if COOKIE in call.request.cookies:
        end_session(response, call.request)
    return response


def user_shown(user: StoredUser) -> User:
    return User(
        user.id, user.name, user.display_name, user.locale, user.is_admin, iso(user.created_at)
    )


@api.get("/me", answer=User, errors=(401,), auth="bearer")
async def me(call: Call[NoBody, NoQuery]) -> User:
    """The signed-in user"""
    return user_shown((await call.principal()).user)


def _token_shown(token: StoredApiToken) -> ApiToken:
    return ApiToken(
        token.id,
        token.label,
        optional_iso(token.created_at),
        optional_iso(token.last_used_at),
        optional_iso(token.revoked_at),
    )


@api.get("/tokens", answer=ApiTokenList, errors=(401,), auth="bearer")
async def tokens(call: Call[NoBody, NoQuery]) -> ApiTokenList:
    """The caller's API tokens (secrets are never shown again)"""
    caller = await call.principal()
    await call.services.sign_in.record_token_uses()  # the list shows the last uses as of now
    listed = await call.services.accounts.store.list_api_tokens(caller.user.id)
    return ApiTokenList([_token_shown(t) for t in listed])


@api.post(
    "/tokens",
    body=NewApiToken,
    answer=IssuedApiToken,
    status=201,
    errors=(400, 401, 422),
    auth="bearer",
)
async def issue_token(call: Call[NewApiToken, NoQuery]) -> Reply:
    """Issue an API token; its secret is in the answer only"""
    caller = await call.principal()
    label = call.body.label if call.body.label is not None else "api"
    token, secret = await call.services.accounts.issue_api_token(
        caller.user, label, address=call.address
    )
    shown = IssuedApiToken(**msgspec.structs.asdict(_token_shown(token)), token=secret)
    return Reply(shown, headers=NO_STORE)


@api.delete("/tokens/{token_id}", status=204, errors=(401, 404), auth="bearer", ids=("token_id",))
async def revoke_token(call: Call[NoBody, NoQuery]) -> None:
    """Revoke one of the caller's API tokens"""
    caller = await call.principal()
    revoked = await call.services.accounts.revoke_api_token(
        caller.user, call.path_id("token_id"), address=call.address
    )
    if not revoked:
        raise TokenNotFound(call.path("token_id"))


def _event_shown(event: AuditEvent) -> AuditEventShown:
    return AuditEventShown(
        event.id,
        iso(event.at),
        event.actor_user_id,
        event.action,
        event.room_id,
        event.address,
        event.details,
    )


def _encode_cursor(event_id: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{event_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    prefix, _, number = text.partition(":")
    if prefix != "audit" or path_id(number) < 0:
        raise invalid_parameter("cursor", N_("cursor is not one this API issued"))
    return int(number)


@api.get("/audit", query=AuditQuery, answer=AuditPage, errors=(401, 403, 422), auth="bearer")
async def audit(call: Call[NoBody, AuditQuery]) -> AuditPage:
    """The audit log, newest first (administrators)"""
    caller = await call.principal()
    if not caller.user.is_admin:
        raise AdminOnly("the audit log")
    limit, cursor = call.query.limit, call.query.cursor
    before = None if cursor is None else _decode_cursor(cursor)
    events = await call.services.audit.page(before_id=before, limit=limit)
    next_cursor = _encode_cursor(events[-1].id) if len(events) == limit else None
    return AuditPage([_event_shown(e) for e in events], next_cursor)


routes = api.routes
