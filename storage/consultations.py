"""Public consultations: opening, comments while open, closing once, responses, and the
published report as a record of the room's decision chain.

Every change of a consultation's state is one conditional ``UPDATE … WHERE state = …``, so it
happens once however many processes or nodes try (docs/consultations.md). A comment is taken
only in a transaction that sees the consultation open and before its deadline; the report is
appended to the chain under the room's lock (its event number is taken first, as a closing
poll's record is).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.consultation_models import ConsultationCommentRecord, ConsultationRecord
from storage.database import Database
from storage.decision_chain import append_record, next_in_chain
from storage.decision_models import ProposalRecord
from storage.directory_models import OrganisationRecord
from storage.errors import StorageError
from storage.models import DocumentCommentRecord, RoomRecord, UserRecord
from storage.records import detached
from storage.room_events import StoredEvent, new_event, next_event_seq

__all__ = [
    "ConsultationComment",
    "ConsultationExists",
    "ConsultationStore",
    "NewComment",
    "StoredConsultation",
]


class ConsultationExists(StorageError):
    """The proposal has a consultation already."""


class _Unchanged(Exception):
    """Raised inside a transaction to roll it back (its event number is given back)."""


@dataclass(frozen=True)
class StoredConsultation:
    id: int
    room_id: int
    proposal_id: int
    state: str
    opened_at: datetime
    closes_at: datetime
    reason: str | None
    oblast: str | None
    sectors: list[str]
    opened_by: int | None
    closed_at: datetime | None
    reported_at: datetime | None
    report_json: str | None
    report_sha256: str | None
    decision_position: int | None


@dataclass(frozen=True)
class NewComment:
    root: str
    start_position: bytes
    end_position: bytes
    quote: str
    author_id: int
    body: str
    organisation_id: int | None


@dataclass(frozen=True)
class ConsultationComment:
    id: int
    root: str
    start_position: bytes
    end_position: bytes
    quote: str
    body: str
    created_at: datetime
    author: str | None  # a user name
    author_display_name: str | None
    organisation: str | None  # its slug
    organisation_name: str | None
    response: str | None
    reason: str | None
    responded_at: datetime | None


# (position, previous hash) → the record to store, then the live event's type and payload
BuildReport = Callable[[int, str | None], tuple[dict[str, Any], str, dict[str, Any]]]


class ConsultationStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker

    async def open(
        self,
        room_id: int,
        proposal_id: int,
        *,
        opened_by: int,
        opened_at: datetime,
        closes_at: datetime,
        reason: str | None,
        oblast: str | None,
        sectors: list[str],
        event: tuple[str, dict[str, Any]],
    ) -> tuple[StoredConsultation, StoredEvent]:
        """Open the proposal's consultation and add the room event (``event``'s type and
        payload, the consultation's id added) in one transaction."""
        try:
            async with self._database.writing() as session:
                seq = await next_event_seq(session, room_id)
                record = ConsultationRecord(
                    room_id=room_id,
                    proposal_id=proposal_id,
                    state="open",
                    opened_at=opened_at,
                    closes_at=closes_at,
                    reason=reason,
                    oblast=oblast,
                    sectors=sectors,
                    opened_by=opened_by,
                )
                session.add(record)
                await session.flush()
                payload = {
                    **event[1],
                    "consultation": {**event[1]["consultation"], "id": record.id},
                }
                stored_event = new_event(
                    session, room_id, seq, event[0], opened_by, payload, opened_at
                )
        except IntegrityError as exc:
            raise ConsultationExists("the proposal has a consultation already") from exc
        return detached(StoredConsultation, record), stored_event

    async def get(self, consultation_id: int) -> StoredConsultation | None:
        async with self._sessions() as session:
            record = await session.get(ConsultationRecord, consultation_id)
        return None if record is None else detached(StoredConsultation, record)

    async def of_proposal(self, proposal_id: int) -> StoredConsultation | None:
        query = select(ConsultationRecord).where(ConsultationRecord.proposal_id == proposal_id)
        async with self._sessions() as session:
            record = await session.scalar(query)
        return None if record is None else detached(StoredConsultation, record)

    async def listed(self, *, states: tuple[str, ...], limit: int) -> list[StoredConsultation]:
        """Consultations in these states, the soonest deadline first."""
        query = (
            select(ConsultationRecord)
            .where(ConsultationRecord.state.in_(states))
            .order_by(ConsultationRecord.closes_at, ConsultationRecord.id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [detached(StoredConsultation, r) for r in await session.scalars(query)]

    async def published(
        self, *, room_id: int | None, oblast: str | None, limit: int
    ) -> list[tuple[StoredConsultation, str, str]]:
        """The newest consultations (by opening) with their proposal's title and room's slug;
        of one room, or of one oblast and the national ones."""
        query = (
            select(ConsultationRecord, ProposalRecord.title, RoomRecord.slug)
            .join(ProposalRecord, ProposalRecord.id == ConsultationRecord.proposal_id)
            .join(RoomRecord, RoomRecord.id == ConsultationRecord.room_id)
            .order_by(ConsultationRecord.opened_at.desc(), ConsultationRecord.id.desc())
            .limit(limit)
        )
        if room_id is not None:
            query = query.where(ConsultationRecord.room_id == room_id)
        if oblast is not None:
            query = query.where(
                or_(ConsultationRecord.oblast == oblast, ConsultationRecord.oblast.is_(None))
            )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [(detached(StoredConsultation, c), title, slug) for c, title, slug in rows]

    async def add_comment(
        self, consultation_id: int, document_id: int, comment: NewComment, now: datetime
    ) -> int | None:
        """Store the comment if the consultation is open and before its deadline, checked in
        the transaction that stores it; its id, or None when it is not."""
        async with self._database.writing() as session:
            is_open = await session.scalar(
                select(ConsultationRecord.id)
                .where(
                    ConsultationRecord.id == consultation_id,
                    ConsultationRecord.state == "open",
                    ConsultationRecord.closes_at > now,
                )
                .with_for_update(read=True)
            )
            if is_open is None:
                return None
            record = DocumentCommentRecord(
                document_id=document_id,
                root=comment.root,
                start_position=comment.start_position,
                end_position=comment.end_position,
                quote=comment.quote,
                author_id=comment.author_id,
                body=comment.body,
                created_at=now,
            )
            session.add(record)
            await session.flush()
            session.add(
                ConsultationCommentRecord(
                    comment_id=record.id,
                    consultation_id=consultation_id,
                    organisation_id=comment.organisation_id,
                )
            )
            return record.id

    async def comments(
        self, consultation_id: int, *, ids: list[int] | None = None
    ) -> list[ConsultationComment]:
        """The consultation's comments, oldest first."""
        link, comment = ConsultationCommentRecord, DocumentCommentRecord
        query = (
            select(
                comment,
                link,
                UserRecord.name,
                UserRecord.display_name,
                OrganisationRecord.slug,
                OrganisationRecord.name,
            )
            .join(link, link.comment_id == comment.id)
            .outerjoin(UserRecord, UserRecord.id == comment.author_id)
            .outerjoin(OrganisationRecord, OrganisationRecord.id == link.organisation_id)
            .where(link.consultation_id == consultation_id)
            .order_by(comment.id)
        )
        if ids is not None:
            query = query.where(comment.id.in_(ids))
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [
            ConsultationComment(
                id=c.id,
                root=c.root,
                start_position=c.start_position,
                end_position=c.end_position,
                quote=c.quote,
                body=c.body,
                created_at=c.created_at,
                author=author,
                author_display_name=display,
                organisation=slug,
                organisation_name=organisation,
                response=linked.response,
                reason=linked.reason,
                responded_at=linked.responded_at,
            )
            for c, linked, author, display, slug, organisation in rows
        ]

    async def respond(
        self,
        consultation_id: int,
        comment_id: int,
        *,
        response: str,
        reason: str,
        by: int,
        now: datetime,
    ) -> bool:
        """Answer a comment while the report is not published; False if it cannot be."""
        async with self._database.writing() as session:
            state = await session.scalar(
                select(ConsultationRecord.state)
                .where(ConsultationRecord.id == consultation_id)
                .with_for_update()
            )
            if state not in ("open", "closed"):
                return False
            result = await session.execute(
                update(ConsultationCommentRecord)
                .where(
                    ConsultationCommentRecord.comment_id == comment_id,
                    ConsultationCommentRecord.consultation_id == consultation_id,
                )
                .values(response=response, reason=reason, responded_by=by, responded_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    async def close_due(
        self, now: datetime, event: Callable[[StoredConsultation], tuple[str, dict[str, Any]]]
    ) -> list[tuple[StoredConsultation, StoredEvent]]:
        """Close every open consultation whose deadline has passed, each exactly once (on any
        node), with its room event; the ones this call closed."""
        query = select(ConsultationRecord.id).where(
            ConsultationRecord.state == "open", ConsultationRecord.closes_at <= now
        )
        async with self._sessions() as session:
            due = list(await session.scalars(query))
        closed = []
        for consultation_id in due:
            done = await self._close(consultation_id, now, event)
            if done is not None:
                closed.append(done)
        return closed

    async def _close(
        self,
        consultation_id: int,
        now: datetime,
        event: Callable[[StoredConsultation], tuple[str, dict[str, Any]]],
    ) -> tuple[StoredConsultation, StoredEvent] | None:
        try:
            async with self._database.writing() as session:
                record = await session.get(ConsultationRecord, consultation_id)
                if record is None:
                    raise _Unchanged
                seq = await next_event_seq(session, record.room_id)
                result = await session.execute(
                    update(ConsultationRecord)
                    .where(
                        ConsultationRecord.id == consultation_id,
                        ConsultationRecord.state == "open",
                    )
                    .values(state="closed", closed_at=now)
                )
                if not getattr(result, "rowcount", 0):
                    raise _Unchanged  # closed by another process
                await session.refresh(record)
                stored = detached(StoredConsultation, record)
                type_, payload = event(stored)
                made = new_event(session, record.room_id, seq, type_, None, payload, now)
                await session.flush()
        except _Unchanged:
            return None
        return stored, made

    async def publish(
        self, consultation_id: int, by: int, now: datetime, build: BuildReport
    ) -> tuple[StoredConsultation, StoredEvent] | None:
        """Store the report built for the next position of the room's chain, as that chain's
        record; None if the consultation is not closed (still open, or reported already)."""
        try:
            return await self._publish(consultation_id, by, now, build)
        except _Unchanged:
            return None

    async def _publish(
        self, consultation_id: int, by: int, now: datetime, build: BuildReport
    ) -> tuple[StoredConsultation, StoredEvent]:
        async with self._database.writing() as session:
            record = await session.get(ConsultationRecord, consultation_id)
            if record is None:
                raise _Unchanged
            seq = await next_event_seq(session, record.room_id)  # the room's lock
            await session.refresh(record)
            if record.state != "closed":
                raise _Unchanged
            position, previous = await next_in_chain(session, record.room_id)
            content, type_, payload = build(position, previous)
            chained = append_record(session, record.room_id, position, previous, content, now)
            digest = chained.record_sha256
            record.state, record.reported_at = "reported", now
            record.report_json, record.report_sha256 = chained.record_json, digest
            record.decision_position = position
            payload = {**payload, "sha256": digest, "position": position}
            event = new_event(session, record.room_id, seq, type_, by, payload, now)
            await session.flush()
            return detached(StoredConsultation, record), event
