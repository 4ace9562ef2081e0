"""What people follow (their address for notices, their subscriptions) and which events are
still to be announced.

An event is announced in one transaction that marks it (``… SET noticed_at = now WHERE
noticed_at IS NULL``) and queues its e-mails and webhook deliveries (storage/outreach.py). A
crash before the commit leaves the mark unset, so the next round announces it; a second node
finds it marked. So every event is announced exactly once (docs/notifications.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.consultation_models import ConsultationRecord
from storage.database import Database
from storage.decision_models import DecisionRecord, ProposalRecord
from storage.directory_models import OrganisationRecord, OrganisationSectorRecord
from storage.models import RoomRecord, UserRecord
from storage.notice_models import NoticeAddressRecord, SubscriptionRecord
from storage.records import detached

__all__ = [
    "ConsultationFacts",
    "DecisionFacts",
    "NoticeStore",
    "PublicDecision",
    "Recipient",
    "StoredSubscription",
    "concerned_organisations",
    "consultation_facts",
    "decision_facts",
    "mark",
    "public_decisions",
    "recipients",
]

MAX_SUBSCRIPTIONS = 100  # per user


@dataclass(frozen=True)
class StoredSubscription:
    id: int
    user_id: int
    kind: str
    target: str
    created_at: datetime


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    locale: str
    subscription_id: int  # the first of theirs that matched: its link stops it


class TooManySubscriptions(Exception):
    pass


class NoticeStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker

    async def address(self, user_id: int) -> str | None:
        async with self._sessions() as session:
            record = await session.get(NoticeAddressRecord, user_id)
        return None if record is None else record.email

    async def set_address(self, user_id: int, email: str | None, now: datetime) -> None:
        async with self._database.writing() as session:
            record = await session.get(NoticeAddressRecord, user_id)
            if email is None:
                if record is not None:
                    await session.delete(record)
            elif record is None:
                session.add(NoticeAddressRecord(user_id=user_id, email=email, updated_at=now))
            else:
                record.email, record.updated_at = email, now

    async def subscriptions(self, user_id: int) -> list[StoredSubscription]:
        query = (
            select(SubscriptionRecord)
            .where(SubscriptionRecord.user_id == user_id)
            .order_by(SubscriptionRecord.id)
        )
        async with self._sessions() as session:
            return [detached(StoredSubscription, r) for r in await session.scalars(query)]

    async def subscribe(
        self, user_id: int, kind: str, target: str, now: datetime
    ) -> tuple[StoredSubscription, bool]:
        """The subscription, and whether it is new (a repeated one changes nothing).
        TooManySubscriptions past ``MAX_SUBSCRIPTIONS``."""
        mine = await self.subscriptions(user_id)
        for existing in mine:
            if (existing.kind, existing.target) == (kind, target):
                return existing, False
        if len(mine) >= MAX_SUBSCRIPTIONS:
            raise TooManySubscriptions
        record = SubscriptionRecord(user_id=user_id, kind=kind, target=target, created_at=now)
        try:
            async with self._sessions() as session, session.begin():
                session.add(record)
        except IntegrityError:  # the same, added meanwhile
            again = [
                s for s in await self.subscriptions(user_id) if (s.kind, s.target) == (kind, target)
            ]
            return again[0], False
        return detached(StoredSubscription, record), True

    async def unsubscribe(self, user_id: int, subscription_id: int | None) -> int:
        """Remove one subscription of the user's (None: all of them); how many went."""
        condition = SubscriptionRecord.user_id == user_id
        if subscription_id is not None:
            condition = and_(condition, SubscriptionRecord.id == subscription_id)
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(SubscriptionRecord).where(condition))
        return int(getattr(result, "rowcount", 0) or 0)

    async def unannounced(self, now: datetime, reminder_before: float) -> dict[str, list[int]]:
        """The ids of what is still to be announced, by kind of notice."""
        consultation = ConsultationRecord
        soon = now + timedelta(seconds=reminder_before)
        queries = {
            "opened": select(consultation.id).where(consultation.opened_noticed_at.is_(None)),
            "closing": select(consultation.id).where(
                consultation.reminded_at.is_(None),
                consultation.state == "open",
                consultation.closes_at <= soon,
                consultation.closes_at > now,
            ),
            "reported": select(consultation.id).where(
                consultation.state == "reported", consultation.reported_noticed_at.is_(None)
            ),
            "decision": select(DecisionRecord.id).where(DecisionRecord.noticed_at.is_(None)),
        }
        found: dict[str, list[int]] = {}
        async with self._sessions() as session:
            for kind, query in queries.items():
                found[kind] = list(await session.scalars(query.order_by("id").limit(100)))
        return found


_MARKS = {
    "opened": (ConsultationRecord, ConsultationRecord.opened_noticed_at),
    "closing": (ConsultationRecord, ConsultationRecord.reminded_at),
    "reported": (ConsultationRecord, ConsultationRecord.reported_noticed_at),
    "decision": (DecisionRecord, DecisionRecord.noticed_at),
}


async def mark(session: AsyncSession, kind: str, row_id: int, now: datetime) -> bool:
    """Mark the event announced in ``session``'s transaction; False if it already was (by
    another node): then the transaction must queue nothing."""
    table, column = _MARKS[kind]
    result = await session.execute(
        update(table)
        .where(table.id == row_id, column.is_(None))  # type: ignore[attr-defined]
        .values({column.key: now})
    )
    return bool(getattr(result, "rowcount", 0))


async def concerned_organisations(
    session: AsyncSession, oblast: str | None, sectors: Sequence[str]
) -> list[str]:
    """The slugs of the organisations a consultation concerns: in its oblast (any, for a
    national one) and working in one of its sectors (any, when it names none)."""
    organisation = OrganisationRecord
    query = select(organisation.slug)
    if oblast is not None:
        query = query.where(organisation.oblast == oblast)
    if sectors:
        query = query.where(
            organisation.id.in_(
                select(OrganisationSectorRecord.organisation_id).where(
                    OrganisationSectorRecord.sector.in_(list(sectors))
                )
            )
        )
    return list(await session.scalars(query.limit(10_000)))


async def recipients(
    session: AsyncSession, matches: Sequence[tuple[str, str | None]]
) -> list[Recipient]:
    """One recipient per user with an address and a subscription matching one of ``matches``
    (kind, target; target None matches any of that kind), by user id."""
    conditions: list[ColumnElement[bool]] = []
    for kind, target in matches:
        if target is None:
            conditions.append(SubscriptionRecord.kind == kind)
        else:
            conditions.append(
                and_(SubscriptionRecord.kind == kind, SubscriptionRecord.target == target)
            )
    if not conditions:
        return []
    query = (
        select(
            SubscriptionRecord.user_id,
            NoticeAddressRecord.email,
            UserRecord.locale,
            SubscriptionRecord.id,
        )
        .join(NoticeAddressRecord, NoticeAddressRecord.user_id == SubscriptionRecord.user_id)
        .join(UserRecord, UserRecord.id == SubscriptionRecord.user_id)
        .where(or_(*conditions))
        .order_by(SubscriptionRecord.user_id, SubscriptionRecord.id)
    )
    found: dict[int, Recipient] = {}
    for user_id, email, locale, subscription_id in await session.execute(query):
        found.setdefault(user_id, Recipient(user_id, email, locale, subscription_id))
    return list(found.values())


@dataclass(frozen=True)
class ConsultationFacts:
    id: int
    room: str
    room_title: str
    proposal_id: int
    title: str
    oblast: str | None
    sectors: list[str]
    closes_at: datetime
    comments: int  # in the published report (0 before)


@dataclass(frozen=True)
class DecisionFacts:
    room: str
    room_title: str
    public: bool
    position: int
    sha256: str
    record: dict[str, Any]


async def consultation_facts(session: AsyncSession, consultation_id: int) -> ConsultationFacts:
    """What a notice of the consultation says, read in the announcing transaction."""
    row = (
        await session.execute(
            select(ConsultationRecord, ProposalRecord.title, RoomRecord.slug, RoomRecord.title)
            .join(ProposalRecord, ProposalRecord.id == ConsultationRecord.proposal_id)
            .join(RoomRecord, RoomRecord.id == ConsultationRecord.room_id)
            .where(ConsultationRecord.id == consultation_id)
        )
    ).one()
    consultation, title, room, room_title = row
    report = json.loads(consultation.report_json) if consultation.report_json else None
    return ConsultationFacts(
        consultation.id,
        room,
        room_title,
        consultation.proposal_id,
        title,
        consultation.oblast,
        list(consultation.sectors or ()),
        consultation.closes_at,
        report["counts"]["comments"] if report else 0,
    )


async def decision_facts(session: AsyncSession, decision_id: int) -> DecisionFacts:
    row = (
        await session.execute(
            select(DecisionRecord, RoomRecord.slug, RoomRecord.title, RoomRecord.visibility)
            .join(RoomRecord, RoomRecord.id == DecisionRecord.room_id)
            .where(DecisionRecord.id == decision_id)
        )
    ).one()
    decision, room, room_title, visibility = row
    return DecisionFacts(
        room,
        room_title,
        visibility == "public",
        decision.position,
        decision.record_sha256,
        json.loads(decision.record_json),
    )


@dataclass(frozen=True)
class PublicDecision:
    room: str
    room_title: str
    position: int
    record: dict[str, Any]
    created_at: datetime


async def public_decisions(
    database: Database, *, room_id: int | None, limit: int
) -> list[PublicDecision]:
    """The newest decision records of public rooms (votes; reports are the consultations')."""
    query = (
        select(DecisionRecord, RoomRecord.slug, RoomRecord.title)
        .join(RoomRecord, RoomRecord.id == DecisionRecord.room_id)
        .where(RoomRecord.visibility == "public", DecisionRecord.poll_id.is_not(None))
        .order_by(DecisionRecord.created_at.desc(), DecisionRecord.id.desc())
        .limit(limit)
    )
    if room_id is not None:
        query = query.where(DecisionRecord.room_id == room_id)
    async with database.sessionmaker() as session:
        rows = (await session.execute(query)).all()
    return [
        PublicDecision(slug, title, d.position, json.loads(d.record_json), d.created_at)
        for d, slug, title in rows
    ]
