"""Planning a room's live sessions (those who run sessions), for people's calendars: the
public rooms' plans are in the iCalendar feed (docs/notifications.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

import msgspec

from server.live import InvalidPlan, PlannedSessionNotFound
from server.policy import Action
from server.rooms.service import RoomView
from storage.audit import AuditLog
from storage.models import TITLE_LENGTH
from storage.schedule import PlannedSessionStore, StoredPlannedSession

LONGEST = timedelta(hours=24)
MAX_AHEAD = 200  # planned sessions not yet over, per room


class PlannedSession(msgspec.Struct, kw_only=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_LENGTH, pattern=r"\S")]
    starts_at: datetime
    ends_at: datetime


class SessionPlans:
    def __init__(
        self, store: PlannedSessionStore, audit: AuditLog, clock: Callable[[], datetime]
    ) -> None:
        self.store, self._audit, self._clock = store, audit, clock

    async def plan(
        self, view: RoomView, new: PlannedSession, address: str | None
    ) -> StoredPlannedSession:
        view.require(Action.RUN_SESSION)
        assert view.actor is not None
        if new.starts_at.tzinfo is None or new.ends_at.tzinfo is None:
            raise InvalidPlan("starts_at", "starts_at, ends_at: give the time zone (e.g. Z)")
        if not timedelta(0) < new.ends_at - new.starts_at <= LONGEST:
            raise InvalidPlan("ends_at", "ends_at: after starts_at, within 24 hours")
        now = self._clock()
        if new.ends_at <= now:
            raise InvalidPlan("ends_at", "ends_at: a planned session ends in the future")
        if await self.store.count_ahead(view.room.id, now) >= MAX_AHEAD:
            raise InvalidPlan("starts_at", f"at most {MAX_AHEAD} planned sessions ahead")
        planned = await self.store.add(
            view.room.id, new.title, new.starts_at, new.ends_at, view.actor.id, now
        )
        await self._audit.record(
            "session.planned",
            actor_user_id=view.actor.id,
            room_id=view.room.id,
            address=address,
            details={"session": planned.id},
        )
        return planned

    async def listed(self, view: RoomView) -> list[StoredPlannedSession]:
        view.require(Action.READ_ROOM)
        return await self.store.in_room(view.room.id, self._clock())

    async def cancel(self, view: RoomView, session_id: int, address: str | None) -> None:
        view.require(Action.RUN_SESSION)
        if not await self.store.cancel(view.room.id, session_id):
            raise PlannedSessionNotFound(session_id)
        await self._audit.record(
            "session.cancelled",
            actor_user_id=None if view.actor is None else view.actor.id,
            room_id=view.room.id,
            address=address,
            details={"session": session_id},
        )
