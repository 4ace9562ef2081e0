"""Consultations: open (owners), read (everyone), comment (signed-in people while open),
close at the deadline (once, on any node), answer (moderators), publish the report (moderators;
it enters the room's decision chain). docs/consultations.md has the rules.

A consultation is public whatever the room's visibility: the authority publishes the text to
everyone, and everyone may read what was said about it.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crdt.positions import Assoc, TextPositions
from server.consultations import (
    ConsultationConflict,
    ConsultationDenied,
    ConsultationNotFound,
    InvalidConsultation,
)
from server.consultations.commands import (
    CommentResponse,
    NewConsultation,
    NewConsultationComment,
)
from server.consultations.report import PlacedComment, ReportSource, build_report
from server.decisions.context import body_text
from server.directory.regions import oblast
from server.directory.service import Directory
from server.documents.comments import anchor_of
from server.documents.forks import Forks
from server.documents.rendering import render
from server.i18n import translatable
from server.live.rooms import LiveRooms
from server.policy import Action, Role
from server.rooms.service import RoomView
from storage.accounts import StoredUser
from storage.audit import AuditLog
from storage.consultations import (
    ConsultationComment,
    ConsultationExists,
    ConsultationStore,
    NewComment,
    StoredConsultation,
)
from storage.decision_models import WRITABLE_STATES
from storage.proposals import ProposalStore, StoredProposal
from storage.room_events import StoredEvent
from storage.rooms import RoomStore

N_ = translatable("problems")
ROOT = "content"  # the proposal's text: the convention of every Veche client
DEFAULT_DAYS = 30
SHORTEST_DAYS = 14
LOCAL_TIME = zoneinfo.ZoneInfo("Europe/Sofia")  # days are counted as the law counts them


@dataclass(frozen=True)
class PublicText:
    text: str
    seq: int


def days_between(opened: datetime, closes: datetime) -> int:
    """Whole calendar days from the day of opening to the day of closing, in Bulgaria."""
    return (closes.astimezone(LOCAL_TIME).date() - opened.astimezone(LOCAL_TIME).date()).days


class Consultations:
    def __init__(
        self,
        *,
        store: ConsultationStore,
        proposals: ProposalStore,
        rooms: RoomStore,
        forks: Forks,
        directory: Directory,
        live_rooms: LiveRooms,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self._proposals, self._rooms, self._forks = proposals, rooms, forks
        self._directory, self._live, self._audit = directory, live_rooms, audit
        self.clock = clock  # replaced in tests to reach a deadline without waiting

    # -- the authority ---------------------------------------------------------------------

    async def open(
        self, view: RoomView, proposal: StoredProposal, new: NewConsultation, address: str | None
    ) -> StoredConsultation:
        view.require(Action.MANAGE_PROPOSALS)
        if view.role is not Role.OWNER or view.actor is None:
            raise ConsultationDenied(N_("only the room's owners publish a consultation"))
        if proposal.state not in WRITABLE_STATES:
            raise ConsultationConflict(
                "proposal-state",
                N_("a {state} proposal cannot go to consultation"),
                {"state": proposal.state},
            )
        now = self.clock()
        closes_at = new.closes_at or now + timedelta(days=DEFAULT_DAYS)
        if closes_at.tzinfo is None:
            raise InvalidConsultation("closes_at", N_("closes_at: give the time zone (e.g. Z)"))
        days = days_between(now, closes_at)
        if days < SHORTEST_DAYS:
            raise InvalidConsultation(
                "closes_at",
                N_("closes_at: a consultation lasts at least {least} days, not {days}"),
                values={"least": SHORTEST_DAYS, "days": days},
            )
        if days < DEFAULT_DAYS and new.reason is None:
            raise InvalidConsultation(
                "reason",
                N_("reason: a consultation shorter than {days} days needs one"),
                values={"days": DEFAULT_DAYS},
            )
        if new.oblast is not None and oblast(new.oblast) is None:
            raise InvalidConsultation(
                "oblast", N_("oblast: no oblast {oblast}"), values={"oblast": new.oblast}
            )
        if proposal.state == "draft":
            await self._proposals.move(proposal.id, ("draft",), "discussion", now)
        shown = {"proposal": {"id": proposal.id, "title": proposal.title}}
        event = (
            "consultation.opened",
            {
                "consultation": {
                    "closes_at": closes_at.isoformat(),
                    "reason": new.reason,
                    "oblast": new.oblast,
                    "sectors": sorted(set(new.sectors)),
                    **shown,
                }
            },
        )
        try:
            consultation, stored_event = await self.store.open(
                view.room.id,
                proposal.id,
                opened_by=view.actor.id,
                opened_at=now,
                closes_at=closes_at,
                reason=new.reason,
                oblast=new.oblast,
                sectors=sorted(set(new.sectors)),
                event=event,
            )
        except ConsultationExists:
            raise ConsultationConflict(
                "consultation-exists", N_("the proposal has a consultation already")
            ) from None
        await self._announced(stored_event, view.actor.id, address)
        return consultation

    async def respond(
        self,
        view: RoomView,
        consultation: StoredConsultation,
        comment_id: int,
        answer: CommentResponse,
        address: str | None,
    ) -> ConsultationComment:
        self._in_room(view, consultation)
        view.require(Action.MANAGE_PROPOSALS)
        assert view.actor is not None
        done = await self.store.respond(
            consultation.id,
            comment_id,
            response=answer.response,
            reason=answer.reason,
            by=view.actor.id,
            now=self.clock(),
        )
        if not done:
            if consultation.state == "reported":
                raise ConsultationConflict(
                    "consultation-reported", N_("the report is published: responses are final")
                )
            raise ConsultationNotFound(
                N_("no comment {comment} in this consultation"), {"comment": comment_id}
            )
        await self._audit.record(
            "consultation.responded",
            actor_user_id=view.actor.id,
            room_id=view.room.id,
            address=address,
            details={"consultation": consultation.id, "comment": comment_id},
        )
        [comment] = await self.store.comments(consultation.id, ids=[comment_id])
        return comment

    async def publish(
        self, view: RoomView, consultation: StoredConsultation, address: str | None
    ) -> StoredConsultation:
        """Publish the report: every comment must have a response; once, into the chain."""
        self._in_room(view, consultation)
        view.require(Action.MANAGE_PROPOSALS)
        assert view.actor is not None
        if consultation.state == "open":
            raise ConsultationConflict(
                "consultation-open", N_("the consultation is open until its deadline")
            )
        placed = await self.placed_comments(consultation)
        unanswered = [p.comment.id for p in placed if p.comment.response is None]
        if unanswered:
            raise ConsultationConflict(
                "comments-unanswered",
                N_("comments without a response yet: {count}"),
                {"count": len(unanswered)},
                comments=unanswered,
            )
        proposal = await self._proposal(consultation)
        current = await self.text(consultation)
        source = ReportSource(
            view.room.slug,
            consultation,
            proposal.id,
            proposal.title,
            current.text,
            current.seq,
            placed,
        )
        now = self.clock()

        def build(
            position: int, previous: str | None
        ) -> tuple[dict[str, Any], str, dict[str, Any]]:
            record = build_report(source, position, previous, now)
            return record, "consultation.reported", {"consultation": {"id": consultation.id}}

        done = await self.store.publish(consultation.id, view.actor.id, now, build)
        if done is None:
            raise ConsultationConflict(
                "consultation-reported", N_("the report is published already")
            )
        published, event = done
        await self._announced(event, view.actor.id, address)
        return published

    async def close(self) -> None:
        """`close_due`, for the periodic job."""
        await self.close_due()

    async def close_due(self) -> list[StoredConsultation]:
        """Close the consultations whose deadline has passed (once, whichever node)."""

        def event(closed: StoredConsultation) -> tuple[str, dict[str, Any]]:
            return "consultation.closed", {
                "consultation": {"id": closed.id, "proposal": {"id": closed.proposal_id}}
            }

        closed = await self.store.close_due(self.clock(), event)
        for _, stored_event in closed:
            await self._announced(stored_event, None, None)
        return [c for c, _ in closed]

    # -- everyone --------------------------------------------------------------------------

    async def get(self, consultation_id: int) -> StoredConsultation:
        found = await self.store.get(consultation_id)
        if found is None:
            raise ConsultationNotFound(N_("there is no consultation {id}"), {"id": consultation_id})
        return found

    async def of_proposal(self, proposal: StoredProposal) -> StoredConsultation | None:
        return await self.store.of_proposal(proposal.id)

    async def proposal(self, consultation: StoredConsultation) -> StoredProposal:
        return await self._proposal(consultation)

    async def room_slug(self, consultation: StoredConsultation) -> str:
        room = await self._rooms.get_room(consultation.room_id)
        assert room is not None
        return room.slug

    async def text(self, consultation: StoredConsultation) -> PublicText:
        name = await self._proposals.document_name(await self._proposal(consultation))
        document, seq = await self._forks.current(name)
        return PublicText(body_text(await render(document)), seq)

    async def placed_comments(self, consultation: StoredConsultation) -> list[PlacedComment]:
        """The comments with where their passages are in the text now."""
        stored = await self.store.comments(consultation.id)
        if not stored:
            return []
        name = await self._proposals.document_name(await self._proposal(consultation))
        document, _ = await self._forks.current(name)
        positions = TextPositions(document)  # a copy: read before the next await
        placed = []
        for comment in stored:
            anchor = anchor_of(
                positions, comment.root, comment.start_position, comment.end_position
            )
            placed.append(PlacedComment(comment, anchor))
        return placed

    async def comment(
        self,
        caller: StoredUser,
        consultation: StoredConsultation,
        new: NewConsultationComment,
        address: str | None,
    ) -> PlacedComment:
        """A signed-in person's comment on a passage, for themselves or an organisation they
        represent; only while the consultation is open."""
        organisation_id = None
        if new.organisation is not None:
            organisation_id = (await self._directory.speaks_for(caller, new.organisation)).id
        proposal = await self._proposal(consultation)
        name = await self._proposals.document_name(proposal)
        document, _ = await self._forks.current(name)
        positions = TextPositions(document)  # a copy: read before the next await
        text = positions.text(ROOT) if positions.is_text(ROOT) else ""
        if not new.start < new.end <= len(text):
            raise InvalidConsultation(
                "end",
                N_("the passage must satisfy start < end <= {length} (the text's length)"),
                values={"length": len(text)},
            )
        stored = NewComment(
            root=ROOT,
            start_position=positions.position(ROOT, new.start, Assoc.AFTER),
            end_position=positions.position(ROOT, new.end, Assoc.BEFORE),
            quote=text[new.start : new.end],
            author_id=caller.id,
            body=new.body,
            organisation_id=organisation_id,
        )
        comment_id = await self.store.add_comment(
            consultation.id, proposal.document_id, stored, self.clock()
        )
        if comment_id is None:
            raise ConsultationConflict(
                "consultation-closed", N_("the consultation is closed: no more comments")
            )
        await self._audit.record(
            "consultation.commented",
            actor_user_id=caller.id,
            room_id=consultation.room_id,
            address=address,
            details={"consultation": consultation.id, "comment": comment_id},
        )
        [comment] = await self.store.comments(consultation.id, ids=[comment_id])
        return PlacedComment(comment, (new.start, new.end))

    # -- helpers ---------------------------------------------------------------------------

    async def _proposal(self, consultation: StoredConsultation) -> StoredProposal:
        proposal = await self._proposals.get(consultation.room_id, consultation.proposal_id)
        assert proposal is not None  # deleted only with the consultation
        return proposal

    def _in_room(self, view: RoomView, consultation: StoredConsultation) -> None:
        if consultation.room_id != view.room.id:
            raise ConsultationNotFound(N_("there is no consultation {id}"), {"id": consultation.id})

    async def _announced(self, event: StoredEvent, actor: int | None, address: str | None) -> None:
        self._live.publish(event)
        await self._audit.record(
            event.type,
            actor_user_id=actor,
            room_id=event.room_id,
            address=address,
            details={"consultation": event.payload["consultation"].get("id")},
        )
