"""`/api/v1/rooms/{slug}/sessions`: a room's planned live sessions (docs/live-session.md)."""

from __future__ import annotations

import msgspec

from server.http.endpoint import Api, Call, NoBody, NoQuery
from server.http.types import Time, iso
from server.live.schedule import PlannedSession
from storage.schedule import StoredPlannedSession

api = Api("sessions")


class Planned(msgspec.Struct):
    id: int
    title: str
    starts_at: Time
    ends_at: Time


class PlannedList(msgspec.Struct):
    sessions: list[Planned]


def _shown(found: StoredPlannedSession) -> Planned:
    return Planned(found.id, found.title, iso(found.starts_at), iso(found.ends_at))


@api.get("/rooms/{slug}/sessions", answer=PlannedList, errors=(401, 404), auth="optional")
async def planned(call: Call[NoBody, NoQuery]) -> PlannedList:
    """The room's planned live sessions not yet over, the soonest first"""
    found = await call.services.session_plans.listed(await call.room())
    return PlannedList([_shown(p) for p in found])


@api.post(
    "/rooms/{slug}/sessions",
    body=PlannedSession,
    answer=Planned,
    status=201,
    errors=(400, 401, 403, 404, 422),
    auth="bearer",
)
async def plan(call: Call[PlannedSession, NoQuery]) -> Planned:
    """Plan a live session (those who run sessions); public rooms' plans are in the calendar"""
    found = await call.services.session_plans.plan(await call.room(), call.body, call.address)
    return _shown(found)


@api.delete(
    "/rooms/{slug}/sessions/{session_id}",
    status=204,
    errors=(401, 403, 404),
    auth="bearer",
    ids=("session_id",),
)
async def cancel(call: Call[NoBody, NoQuery]) -> None:
    """Cancel a planned live session"""
    await call.services.session_plans.cancel(
        await call.room(), call.path_id("session_id"), call.address
    )


routes = api.routes
