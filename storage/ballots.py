"""Ballots: the writes of the cast transaction (`PollStore.cast`) and the reads of running
tallies, as prepared statements (storage/prepared.py); `BallotReads`, the reads of ballots,
receipts and the electorate that `PollStore` offers.

The transaction reads the room, the poll and the voter's standing (`Standing`: their place in
the electorate, their ballot) in the call to the driver that begins it, then writes one or
two rows with the COMMIT: two calls to SQLite's thread for a changed ballot, where the ORM
made about twenty. The poll's row orders casting against closing (storage/polls.py): on
SQLite the transaction holds the write lock from its BEGIN IMMEDIATE; on PostgreSQL the read
takes the poll's row ``FOR SHARE``. An UPDATE says whether it changed a row by RETURNING it.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Integer, and_, bindparam, insert, select, update

from storage.database import Database
from storage.decision_models import BallotRecord, PollRecord, PollVoterRecord, SecretBallotRecord
from storage.prepared import Prepared
from storage.statements import Statements


class Cast(enum.Enum):
    """What happened to a ballot."""

    CAST = "cast"
    CHANGED = "changed"  # the voter's earlier ballot was replaced
    CLOSED = "closed"  # the poll is closed, or its time is over
    NOT_OPEN = "not_open"  # scheduled: it opens later
    NOT_ELIGIBLE = "not_eligible"  # not in the electorate fixed when it opened
    ALREADY_VOTED = "already_voted"  # and changing is not allowed (or, secret: no receipt)
    UNKNOWN_RECEIPT = "unknown_receipt"


def receipt_hash(receipt: str) -> str:
    return hashlib.sha256(receipt.encode()).hexdigest()


_POLL: BindParameter[int] = bindparam("poll_id", type_=Integer)
_USER: BindParameter[int] = bindparam("user_id", type_=Integer)

# what casting reads of the voter with the poll (storage/polls.py VOTING): their place in
# the electorate and their named ballot
VOTER_COLUMNS = (PollVoterRecord.user_id, PollVoterRecord.voted, BallotRecord.user_id)
VOTER_JOINS = (
    (
        PollVoterRecord,
        and_(PollVoterRecord.poll_id == PollRecord.id, PollVoterRecord.user_id == _USER),
    ),
    (BallotRecord, and_(BallotRecord.poll_id == PollRecord.id, BallotRecord.user_id == _USER)),
)
# what running tallies read after each batch of ballots: the choices, and who voted
NAMED_CHOICES = Prepared(
    select(BallotRecord.choice).where(BallotRecord.poll_id == _POLL).order_by(BallotRecord.user_id)
)
# ordered by the random key: the order says nothing of when or by whom
SECRET_CHOICES = Prepared(
    select(SecretBallotRecord.choice)
    .where(SecretBallotRecord.poll_id == _POLL)
    .order_by(SecretBallotRecord.id)
)
VOTED = Prepared(
    select(PollVoterRecord.user_id).where(
        PollVoterRecord.poll_id == _POLL, PollVoterRecord.voted.is_(True)
    )
)
VOTER_VOTED = Prepared(
    select(PollVoterRecord.voted).where(
        PollVoterRecord.poll_id == _POLL, PollVoterRecord.user_id == _USER
    )
)
CHANGE_BALLOT = Prepared(
    update(BallotRecord)
    .where(BallotRecord.poll_id == _POLL, BallotRecord.user_id == _USER)
    .values(choice=bindparam("choice"), cast_at=bindparam("now"))
    .returning(BallotRecord.user_id)
)
ADD_BALLOT = Prepared(
    insert(BallotRecord)
    .values(poll_id=_POLL, user_id=_USER, choice=bindparam("choice"), cast_at=bindparam("now"))
    .returning(BallotRecord.user_id)
)
# `voted` moves from false to true once: a second secret ballot of the same voter finds none
MARK_VOTED = Prepared(
    update(PollVoterRecord)
    .where(
        PollVoterRecord.poll_id == _POLL,
        PollVoterRecord.user_id == _USER,
        PollVoterRecord.voted.is_(False),
    )
    .values(voted=True)
    .returning(PollVoterRecord.user_id)
)
REPLACE_SECRET = Prepared(
    update(SecretBallotRecord)
    .where(
        SecretBallotRecord.poll_id == _POLL,
        SecretBallotRecord.receipt_sha256 == bindparam("receipt_sha256"),
    )
    .values(choice=bindparam("choice"))
    .returning(SecretBallotRecord.id)
)
ADD_SECRET = Prepared(
    insert(SecretBallotRecord)
    .values(
        id=bindparam("id"),
        poll_id=_POLL,
        receipt_sha256=bindparam("receipt_sha256"),
        choice=bindparam("choice"),
    )
    .returning(SecretBallotRecord.id)
)


@dataclass(frozen=True)
class Standing:
    """The poll and the voter as the cast transaction reads them."""

    poll_id: int
    state: str
    opens_at: datetime
    closes_at: datetime | None
    allow_change: bool
    secret: bool
    eligible: bool  # in the electorate fixed when the poll opened
    voted: bool
    has_ballot: bool  # a named ballot of theirs is stored


async def record_ballot(
    tx: Statements,
    standing: Standing,
    user_id: int,
    choice: Any,
    now: datetime,
    receipt: str | None,
) -> tuple[Cast, str | None]:
    """Record the ballot in the transaction ``tx``; the outcome and, for a secret poll, the
    receipt (the one given to replace an earlier ballot, or a new one)."""
    if standing.state == "scheduled" or now < standing.opens_at:
        return Cast.NOT_OPEN, None
    closes_at = standing.closes_at
    if standing.state != "open" or (closes_at is not None and now >= closes_at):
        return Cast.CLOSED, None
    if not standing.eligible:
        return Cast.NOT_ELIGIBLE, None
    poll_id = standing.poll_id
    if standing.secret:
        return await _cast_secret(tx, standing, user_id, choice, receipt)
    values = {"poll_id": poll_id, "user_id": user_id, "choice": choice, "now": now}
    if standing.has_ballot:
        if not standing.allow_change:
            return Cast.ALREADY_VOTED, None
        await tx.commit_after((CHANGE_BALLOT, values))
        return Cast.CHANGED, None
    # a voter casting twice at once on PostgreSQL: the second INSERT fails with an
    # IntegrityError, and PollStore.cast tries again (it then finds the first one's ballot)
    marked = {"poll_id": poll_id, "user_id": user_id}
    await tx.commit_after((ADD_BALLOT, values), (MARK_VOTED, marked))
    return Cast.CAST, None


async def _cast_secret(
    tx: Statements, standing: Standing, user_id: int, choice: Any, receipt: str | None
) -> tuple[Cast, str | None]:
    poll_id = standing.poll_id
    if receipt is not None:
        if not standing.voted:
            return Cast.UNKNOWN_RECEIPT, None
        if not standing.allow_change:
            return Cast.ALREADY_VOTED, None
        replacing = {"poll_id": poll_id, "receipt_sha256": receipt_hash(receipt), "choice": choice}
        [replaced] = await tx.commit_after((REPLACE_SECRET, replacing))
        return (Cast.CHANGED, receipt) if replaced else (Cast.UNKNOWN_RECEIPT, None)
    if standing.voted or not await tx.all(MARK_VOTED, poll_id=poll_id, user_id=user_id):
        return Cast.ALREADY_VOTED, None
    code = secrets.token_urlsafe(18)
    ballot = {
        "id": secrets.token_hex(16),
        "poll_id": poll_id,
        "receipt_sha256": receipt_hash(code),
        "choice": choice,
    }
    await tx.commit_after((ADD_SECRET, ballot))
    return Cast.CAST, code


class BallotReads:
    """The reads of a poll's ballots and electorate (`PollStore` extends it)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessionmaker

    async def receipt(self, poll_id: int, receipt: str) -> Any | None:
        """The choice recorded under this receipt, or None: what a voter checks."""
        query = select(SecretBallotRecord.choice).where(
            SecretBallotRecord.poll_id == poll_id,
            SecretBallotRecord.receipt_sha256 == receipt_hash(receipt),
        )
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        return None if row is None else row[0]

    async def ballots(self, poll_id: int) -> tuple[list[Any], int]:
        """The choices so far (for live tallies) and how many voted. A poll's ballots are
        all named or all secret: both kinds are asked for at once, and one answers."""
        named, secret = await self._database.read_several(
            (NAMED_CHOICES, {"poll_id": poll_id}), (SECRET_CHOICES, {"poll_id": poll_id})
        )
        choices = [choice for (choice,) in named or secret]
        return choices, len(choices)

    async def electorate(self, poll_id: int) -> list[int]:
        """The user ids of the poll's electorate."""
        query = select(PollVoterRecord.user_id).where(PollVoterRecord.poll_id == poll_id)
        async with self._sessions() as session:
            return sorted(await session.scalars(query))

    async def voters_who_voted(self, poll_id: int) -> list[int]:
        return sorted(user_id for (user_id,) in await self._database.read(VOTED, poll_id=poll_id))

    async def voted(self, poll_id: int, user_id: int) -> bool:
        rows = await self._database.read(VOTER_VOTED, poll_id=poll_id, user_id=user_id)
        return bool(rows and rows[0][0])
