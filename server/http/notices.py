"""`/api/v1/me/notices`, `/api/v1/me/subscriptions`, `/api/v1/me/webhooks`: what the caller
follows and where it is delivered (docs/notifications.md)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

import msgspec

from server.http.endpoint import Api, Call, NoBody, NoQuery, Reply
from server.http.types import OptionalTime, Time, iso, optional_iso
from server.notices import InvalidSubscription
from storage.notices import StoredSubscription
from storage.outreach import OutboxEntry
from storage.webhook_endpoints import StoredEndpoint

api = Api("notices")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEBHOOK = "/me/webhooks/{endpoint_id}"


class Subscription(msgspec.Struct):
    id: int
    kind: str
    target: str
    created_at: Time


class NoticeSettings(msgspec.Struct):
    email: str | None
    subscriptions: list[Subscription]


class Address(msgspec.Struct, kw_only=True):
    email: Annotated[str, msgspec.Meta(max_length=254)] | None


class NewSubscription(msgspec.Struct, kw_only=True):
    kind: Literal["all", "region", "sector", "room", "organisation"]
    target: Annotated[str, msgspec.Meta(max_length=80)] = ""


class Endpoint(msgspec.Struct):
    id: int
    url: str
    description: str
    event_types: list[str] | None
    created_at: Time
    previous_secret_until: OptionalTime
    disabled_at: OptionalTime
    disabled_reason: str | None


class EndpointWithSecret(Endpoint):
    secret: str  # shown once


class EndpointList(msgspec.Struct):
    endpoints: list[Endpoint]


class NewEndpoint(msgspec.Struct, kw_only=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    event_types: list[Annotated[str, msgspec.Meta(max_length=64)]] | None = None


class Rotation(msgspec.Struct, kw_only=True):
    overlap_seconds: Annotated[int, msgspec.Meta(ge=0, le=7 * 24 * 3600)] = 24 * 3600


class Delivery(msgspec.Struct):
    id: int
    message_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: Time
    last_error: str | None
    created_at: Time
    delivered_at: OptionalTime


class DeliveryList(msgspec.Struct):
    deliveries: list[Delivery]


def _subscription(found: StoredSubscription) -> Subscription:
    return Subscription(found.id, found.kind, found.target, iso(found.created_at))


def _endpoint_fields(found: StoredEndpoint) -> dict[str, Any]:
    return {
        "id": found.id,
        "url": found.url,
        "description": found.description,
        "event_types": None if found.event_types is None else list(found.event_types),
        "created_at": iso(found.created_at),
        "previous_secret_until": optional_iso(found.previous_secret_until),
        "disabled_at": optional_iso(found.disabled_at),
        "disabled_reason": found.disabled_reason,
    }


def _delivery(entry: OutboxEntry) -> Delivery:
    return Delivery(
        entry.id,
        entry.message_id,
        entry.event_type,
        entry.state,
        entry.attempts,
        iso(entry.next_attempt_at),
        entry.last_error,
        iso(entry.created_at),
        optional_iso(entry.delivered_at),
    )


async def _settings(call: Call[Any, Any], user_id: int) -> NoticeSettings:
    store = call.services.notices.notices.store
    mine = await store.subscriptions(user_id)
    return NoticeSettings(await store.address(user_id), [_subscription(s) for s in mine])


@api.get("/me/notices", answer=NoticeSettings, errors=(401,), auth="bearer")
async def notice_settings(call: Call[NoBody, NoQuery]) -> NoticeSettings:
    """The caller's address for notices and subscriptions"""
    user = (await call.principal()).user
    return await _settings(call, user.id)


@api.put(
    "/me/notices/email",
    body=Address,
    answer=NoticeSettings,
    errors=(400, 401, 422),
    auth="bearer",
)
async def set_address(call: Call[Address, NoQuery]) -> NoticeSettings:
    """Set (or with `null` remove) the address notices are e-mailed to"""
    user = (await call.principal()).user
    email = call.body.email
    if email is not None and not _EMAIL.match(email):
        raise InvalidSubscription("email", "email: not an e-mail address")
    notices = call.services.notices.notices
    await notices.store.set_address(user.id, email, notices.clock())
    return await _settings(call, user.id)


@api.post(
    "/me/subscriptions",
    body=NewSubscription,
    answer=Subscription,
    status=201,
    also=(200,),
    errors=(400, 401, 422),
    auth="bearer",
)
async def subscribe(call: Call[NewSubscription, NoQuery]) -> Reply:
    """Follow everything, an oblast, a sector, a room or an organisation (200 if already)"""
    user = (await call.principal()).user
    found, new = await call.services.notices.notices.subscribe(
        user.id, call.body.kind, call.body.target
    )
    return Reply(_subscription(found), status=201 if new else 200)


@api.delete(
    "/me/subscriptions/{subscription_id}",
    status=204,
    errors=(401, 404),
    auth="bearer",
    ids=("subscription_id",),
)
async def unsubscribe(call: Call[NoBody, NoQuery]) -> None:
    """Stop following"""
    user = (await call.principal()).user
    await call.services.notices.notices.unsubscribe(user.id, call.path_id("subscription_id"))


@api.get("/me/webhooks", answer=EndpointList, errors=(401,), auth="bearer")
async def webhooks(call: Call[NoBody, NoQuery]) -> EndpointList:
    """The caller's webhook endpoints"""
    user = (await call.principal()).user
    found = await call.services.notices.webhooks.owned_by(user.id)
    return EndpointList([Endpoint(**_endpoint_fields(e)) for e in found])


@api.post(
    "/me/webhooks",
    body=NewEndpoint,
    answer=EndpointWithSecret,
    status=201,
    errors=(400, 401, 409, 422),
    auth="bearer",
)
async def register(call: Call[NewEndpoint, NoQuery]) -> Reply:
    """Register an endpoint; its signing secret is in this answer only"""
    user = (await call.principal()).user
    found, secret = await call.services.notices.webhooks.register(
        user.id, call.body.url, description=call.body.description, event_types=call.body.event_types
    )
    shown = EndpointWithSecret(**_endpoint_fields(found), secret=secret)
    return Reply(shown, headers={"Cache-Control": "no-store"})


@api.post(
    WEBHOOK + "/rotation",
    body=Rotation,
    answer=EndpointWithSecret,
    errors=(400, 401, 404, 422),
    auth="bearer",
    ids=("endpoint_id",),
)
async def rotate(call: Call[Rotation, NoQuery]) -> Reply:
    """A new secret; the old one signs too until the overlap ends (0: stops at once)"""
    user = (await call.principal()).user
    found, secret = await call.services.notices.webhooks.rotate(
        user.id, call.path_id("endpoint_id"), overlap=timedelta(seconds=call.body.overlap_seconds)
    )
    shown = EndpointWithSecret(**_endpoint_fields(found), secret=secret)
    return Reply(shown, headers={"Cache-Control": "no-store"})


@api.delete(WEBHOOK, status=204, errors=(401, 404), auth="bearer", ids=("endpoint_id",))
async def disable(call: Call[NoBody, NoQuery]) -> None:
    """Disable an endpoint (nothing more is sent to it)"""
    user = (await call.principal()).user
    await call.services.notices.webhooks.disable(user.id, call.path_id("endpoint_id"))


@api.get(
    WEBHOOK + "/deliveries",
    answer=DeliveryList,
    errors=(401, 404),
    auth="bearer",
    ids=("endpoint_id",),
)
async def deliveries(call: Call[NoBody, NoQuery]) -> DeliveryList:
    """The newest deliveries to an endpoint and how far each got"""
    user = (await call.principal()).user
    found = await call.services.notices.webhooks.deliveries(user.id, call.path_id("endpoint_id"))
    return DeliveryList([_delivery(e) for e in found])


routes = api.routes
