"""Polls, their electorate and ballots, and the decision record written when one closes
(appended to the room's chain, storage/decision_chain.py).

Casting and closing are ordered by the poll's row: a cast reads it with a shared lock
(``FOR SHARE`` on PostgreSQL; SQLite has one writer at a time anyway) and refuses a closed
poll or a time past ``closes_at``; closing takes it exclusively (``state`` open → closed,
once: a second closer changes no row), then counts the ballots committed before it, so no
ballot is counted after the close and every one before it is. The decision record is
appended in the same transaction, chained to the room's previous record by hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ballots import (
    VOTER_COLUMNS,
    VOTER_JOINS,
    BallotReads,
    Cast,
    Standing,
    receipt_hash,
    record_ballot,
)
from storage.database import Database
from storage.decision_chain import StoredDecision, append_record, next_in_chain
from storage.decision_models import (
    BallotRecord,
    DecisionRecord,
    PollRecord,
    PollVoterRecord,
    ProposalRecord,
    SecretBallotRecord,
)
from storage.errors import StorageError
from storage.models import RoomRecord
from storage.prepared import Prepared
from storage.records import detached
from storage.room_events import StoredEvent, new_event, next_event_seq
from storage.rooms import ROOM_WITH_ROLE, StoredRoom

__all__ = [
    "Cast",
    "Closing",
    "NewPoll",
    "PollStore",
    "StoredPoll",
    "receipt_hash",
]


class PollConflict(StorageError):
    """The poll cannot be opened: its proposal is not in discussion."""


class _AlreadyClosed(Exception):
    """Another closer (or opener) was first; raised inside the transaction to roll it back."""


@dataclass(frozen=True)
class StoredPoll:
    id: int
    room_id: int
    proposal_id: int | None
    title: str
    method: str
    options: list[Any]
    rules: dict[str, Any]
    secret: bool
    state: str
    opens_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    electorate_size: int
    created_by: int | None
    created_at: datetime
    body_seq: int | None
    body_state_vector: bytes | None
    body_state_sha256: str | None
    body_text_sha256: str | None
    body_text: str | None


@dataclass(frozen=True)
class NewPoll:
    room_id: int
    proposal_id: int | None
    title: str
    method: str
    options: list[str]
    rules: dict[str, Any]
    secret: bool
    opens_at: datetime
    closes_at: datetime | None
    created_by: int
    body_seq: int | None = None
    body_state_vector: bytes | None = None
    body_state_sha256: str | None = None
    body_text_sha256: str | None = None
    body_text: str | None = None


@dataclass(frozen=True)
class Closing:
    """What the closer learns inside the closing transaction, to build the record from."""

    poll: StoredPoll
    choices: list[Any]
    voters: list[int]  # who voted (user ids), ordered by id
    named: dict[int, Any]  # named polls: each voter's choice
    closed_at: datetime
    previous_sha256: str | None
    position: int


# (record as a dict, the proposal's new state or None, the room event's type and payload)
Decide = Callable[[Closing], tuple[dict[str, Any], str | None, str, dict[str, Any]]]


_POLL_COLUMNS = [getattr(PollRecord, field.name) for field in fields(StoredPoll)]
_IN_ROOM = (PollRecord.id == bindparam("poll_id"), PollRecord.room_id == bindparam("room_id"))
POLL_IN_ROOM = Prepared(select(*_POLL_COLUMNS).where(*_IN_ROOM))
# what casting reads first, in its transaction, with the room (ROOM_WITH_ROLE): the poll of
# the room called `slug` and the voter's standing; the poll's row FOR SHARE on PostgreSQL
# (SQLite renders no lock clause)
VOTING = Prepared(
    select(*_POLL_COLUMNS, *VOTER_COLUMNS)
    .select_from(PollRecord)
    .join(RoomRecord, RoomRecord.id == PollRecord.room_id)
    .outerjoin(*VOTER_JOINS[0])
    .outerjoin(*VOTER_JOINS[1])
    .where(PollRecord.id == bindparam("poll_id"), RoomRecord.slug == bindparam("slug"))
    .with_for_update(read=True, of=PollRecord)
)
# the choice of a ballot, checked against the room (None: no such room) with the caller's
# role, and the poll (None: the room has no such poll); raises to refuse the ballot
Admit = Callable[[tuple[StoredRoom, str | None] | None, StoredPoll | None], Any]


class PollStore(BallotReads):
    """Polls: opening, casting, closing; the ballot reads come from `BallotReads`."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self._postgres = database.dialect == "postgresql"

    async def open(
        self,
        poll: NewPoll,
        electorate: list[int],
        *,
        now: datetime,
        event: Callable[[StoredPoll], tuple[str, dict[str, Any]]],
    ) -> tuple[StoredPoll, StoredEvent]:
        """Open a poll with its electorate; a proposal's poll moves it from discussion to
        voting in the same transaction (PollConflict if it is not in discussion). A poll whose
        ``opens_at`` is later than ``now`` is stored as scheduled, with no electorate yet:
        `start` opens it then."""
        async with self._sessions() as session, session.begin():
            seq = await next_event_seq(session, poll.room_id)
            if poll.proposal_id is not None:
                moved = await session.execute(
                    update(ProposalRecord)
                    .where(
                        ProposalRecord.id == poll.proposal_id,
                        ProposalRecord.state == "discussion",
                    )
                    .values(state="voting", state_changed_at=poll.opens_at)
                )
                if moved.rowcount != 1:  # type: ignore[attr-defined]
                    raise PollConflict("a vote opens on a proposal in discussion")
            scheduled = poll.opens_at > now
            record = PollRecord(
                **{f: getattr(poll, f) for f in NewPoll.__dataclass_fields__},
                state="scheduled" if scheduled else "open",
                electorate_size=0 if scheduled else len(set(electorate)),
                created_at=now,
            )
            session.add(record)
            await session.flush()
            if not scheduled:
                _add_electorate(session, record.id, electorate)
            stored = detached(StoredPoll, record)
            type_, payload = event(stored)
            return stored, new_event(
                session, poll.room_id, seq, type_, poll.created_by, payload, now
            )

    async def start(
        self,
        poll: StoredPoll,
        electorate: list[int],
        now: datetime,
        *,
        event: Callable[[StoredPoll], tuple[str, dict[str, Any]]],
    ) -> tuple[StoredPoll, StoredEvent] | None:
        """Open a scheduled poll with the electorate of this moment, once (None if it was
        opened already)."""
        try:
            async with self._database.writing() as session:
                seq = await next_event_seq(session, poll.room_id)
                started = await session.execute(
                    update(PollRecord)
                    .where(PollRecord.id == poll.id, PollRecord.state == "scheduled")
                    .values(state="open", electorate_size=len(set(electorate)))
                )
                if started.rowcount != 1:  # type: ignore[attr-defined]
                    raise _AlreadyClosed
                _add_electorate(session, poll.id, electorate)
                record = await session.get(PollRecord, poll.id)
                assert record is not None
                await session.refresh(record)
                stored = detached(StoredPoll, record)
                type_, payload = event(stored)
                return stored, new_event(session, poll.room_id, seq, type_, None, payload, now)
        except _AlreadyClosed:
            return None

    async def due_to_open(self, now: datetime) -> list[StoredPoll]:
        """Scheduled polls whose opening time has come."""
        query = select(PollRecord).where(
            PollRecord.state == "scheduled", PollRecord.opens_at <= now
        )
        async with self._sessions() as session:
            return [detached(StoredPoll, r) for r in await session.scalars(query)]

    async def next_deadline(self) -> datetime | None:
        """The earliest time a scheduled poll opens or an open poll closes; None if none."""
        opening = select(func.min(PollRecord.opens_at)).where(PollRecord.state == "scheduled")
        closing = select(func.min(PollRecord.closes_at)).where(PollRecord.state == "open")
        async with self._sessions() as session:
            times = [await session.scalar(opening), await session.scalar(closing)]
        return min((t for t in times if t is not None), default=None)

    async def get(self, room_id: int, poll_id: int) -> StoredPoll | None:
        rows = await self._database.read(POLL_IN_ROOM, poll_id=poll_id, room_id=room_id)
        return StoredPoll(*rows[0]) if rows else None

    async def in_room(self, room_id: int) -> list[StoredPoll]:
        query = select(PollRecord).where(PollRecord.room_id == room_id).order_by(PollRecord.id)
        async with self._sessions() as session:
            return [detached(StoredPoll, r) for r in await session.scalars(query)]

    async def due(self, now: datetime) -> list[StoredPoll]:
        """Open polls whose closing time has come (the closer's work list)."""
        query = select(PollRecord).where(PollRecord.state == "open", PollRecord.closes_at <= now)
        async with self._sessions() as session:
            return [detached(StoredPoll, r) for r in await session.scalars(query)]

    async def cast(
        self,
        slug: str,
        poll_id: int,
        user_id: int,
        admit: Admit,
        now: datetime,
        *,
        receipt: str | None = None,
    ) -> tuple[StoredPoll, Cast, str | None]:
        """Record a ballot of the poll ``poll_id`` of the room called ``slug``. The room,
        the user's role in it and the poll are read in the transaction, in the call to the
        driver that begins it; the ballot's choice is ``admit(room and role, poll)``, which
        raises to refuse it before anything is written. Returns the poll, the outcome and,
        for a secret poll, the receipt (the one given to replace an earlier ballot, or a new
        one)."""
        for attempt in (1, 2):
            try:
                async with self._database.prepared_writing() as tx:
                    rooms, voting = await tx.several(
                        (ROOM_WITH_ROLE, {"slug": slug, "user_id": user_id}),
                        (VOTING, {"slug": slug, "poll_id": poll_id, "user_id": user_id}),
                    )
                    found = (StoredRoom(*rooms[0][:-1]), rooms[0][-1]) if rooms else None
                    poll = StoredPoll(*voting[0][:-3]) if voting else None
                    choice = admit(found, poll)
                    if poll is None:
                        raise AssertionError("admit refuses a ballot of no poll")
                    voter, voted, ballot = voting[0][-3:]
                    standing = Standing(
                        poll.id,
                        poll.state,
                        poll.opens_at,
                        poll.closes_at,
                        allow_change=bool(poll.rules.get("allow_change", True)),
                        secret=poll.secret,
                        eligible=voter is not None,
                        voted=bool(voted),
                        has_ballot=ballot is not None,
                    )
                    return poll, *await record_ballot(tx, standing, user_id, choice, now, receipt)
            except IntegrityError:
                # the same voter twice at once: the other one won; retry sees its ballot
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def close(
        self, poll_id: int, now: datetime, decide: Decide
    ) -> tuple[StoredDecision, StoredEvent] | None:
        """Close the poll once and write its decision record; None if it was closed already."""
        async with self._sessions() as session:
            room_id = await session.scalar(
                select(PollRecord.room_id).where(PollRecord.id == poll_id)
            )
        if room_id is None:
            return None
        try:
            return await self._close(poll_id, room_id, now, decide)
        except _AlreadyClosed:
            return None

    async def _close(
        self, poll_id: int, room_id: int, now: datetime, decide: Decide
    ) -> tuple[StoredDecision, StoredEvent]:
        async with self._database.writing() as session:
            seq = await next_event_seq(session, room_id)  # orders the room's records
            closed = await session.execute(
                update(PollRecord)
                .where(PollRecord.id == poll_id, PollRecord.state == "open")
                .values(state="closed", closed_at=now)
            )
            if closed.rowcount != 1:  # type: ignore[attr-defined]
                raise _AlreadyClosed  # rolls back: the event number is given back
            record = await session.get(PollRecord, poll_id)
            assert record is not None
            await session.refresh(record)
            poll = detached(StoredPoll, record)
            choices = await _choices(session, record)
            voters = list(
                await session.scalars(
                    select(PollVoterRecord.user_id)
                    .where(PollVoterRecord.poll_id == poll_id, PollVoterRecord.voted.is_(True))
                    .order_by(PollVoterRecord.user_id)
                )
            )
            named: dict[int, Any] = {}
            if not record.secret:
                rows = await session.execute(
                    select(BallotRecord.user_id, BallotRecord.choice).where(
                        BallotRecord.poll_id == poll_id
                    )
                )
                named = {int(user_id): choice for user_id, choice in rows.all()}
            position, previous = await next_in_chain(session, record.room_id)
            closing = Closing(poll, choices, voters, named, now, previous, position)
            content, proposal_state, event_type, payload = decide(closing)
            decision = append_record(
                session, record.room_id, position, previous, content, now, poll_id=poll_id
            )
            if proposal_state is not None and record.proposal_id is not None:
                await session.execute(
                    update(ProposalRecord)
                    .where(ProposalRecord.id == record.proposal_id)
                    .values(state=proposal_state, state_changed_at=now)
                )
            event = new_event(session, record.room_id, seq, event_type, None, payload, now)
            await session.flush()
            return detached(StoredDecision, decision), event

    async def decisions(self, room_id: int) -> list[StoredDecision]:
        """The room's decision records in chain order."""
        query = (
            select(DecisionRecord)
            .where(DecisionRecord.room_id == room_id)
            .order_by(DecisionRecord.position)
        )
        async with self._sessions() as session:
            return [detached(StoredDecision, r) for r in await session.scalars(query)]


def _add_electorate(session: AsyncSession, poll_id: int, electorate: list[int]) -> None:
    session.add_all(
        PollVoterRecord(poll_id=poll_id, user_id=user_id, voted=False)
        for user_id in sorted(set(electorate))
    )


async def _choices(session: AsyncSession, poll: PollRecord) -> list[Any]:
    if poll.secret:
        # ordered by the random key: the order says nothing of when or by whom
        query = (
            select(SecretBallotRecord.choice)
            .where(SecretBallotRecord.poll_id == poll.id)
            .order_by(SecretBallotRecord.id)
        )
    else:
        query = (
            select(BallotRecord.choice)
            .where(BallotRecord.poll_id == poll.id)
            .order_by(BallotRecord.user_id)
        )
    return list(await session.scalars(query))
