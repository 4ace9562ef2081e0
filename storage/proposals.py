"""Proposals and their lifecycle (the states are checked in SQL: a transition happens once)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from storage.database import Database
from storage.decision_models import ProposalRecord
from storage.models import DocumentRecord, UserRecord
from storage.records import detached

__all__ = ["ProposalStore", "StoredProposal"]


@dataclass(frozen=True)
class StoredProposal:
    id: int
    room_id: int
    document_id: int
    title: str
    amends_id: int | None
    state: str
    created_by: int | None
    created_at: datetime
    state_changed_at: datetime


class ProposalStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessionmaker

    async def create(
        self,
        room_id: int,
        document_id: int,
        title: str,
        created_by: int,
        now: datetime,
        *,
        amends_id: int | None = None,
    ) -> StoredProposal:
        record = ProposalRecord(
            room_id=room_id,
            document_id=document_id,
            title=title,
            amends_id=amends_id,
            state="draft",
            created_by=created_by,
            created_at=now,
            state_changed_at=now,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        return detached(StoredProposal, record)

    async def get(self, room_id: int, proposal_id: int) -> StoredProposal | None:
        async with self._sessions() as session:
            record = await session.get(ProposalRecord, proposal_id)
        if record is None or record.room_id != room_id:
            return None
        return detached(StoredProposal, record)

    async def in_room(self, room_id: int) -> list[StoredProposal]:
        query = (
            select(ProposalRecord)
            .where(ProposalRecord.room_id == room_id)
            .order_by(ProposalRecord.id.desc())
        )
        async with self._sessions() as session:
            return [detached(StoredProposal, r) for r in await session.scalars(query)]

    async def move(
        self, proposal_id: int, from_states: Collection[str], to_state: str, now: datetime
    ) -> bool:
        """Move the proposal to ``to_state`` if it is in one of ``from_states``."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(ProposalRecord)
                .where(ProposalRecord.id == proposal_id, ProposalRecord.state.in_(from_states))
                .values(state=to_state, state_changed_at=now)
            )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def document_and_author(self, proposal: StoredProposal) -> tuple[str, str | None]:
        """The body document's name and the author's user name (None once the user is gone)."""
        query = (
            select(DocumentRecord.name, UserRecord.name)
            .outerjoin(UserRecord, UserRecord.id == proposal.created_by)
            .where(DocumentRecord.id == proposal.document_id)
        )
        async with self._sessions() as session:
            row = (await session.execute(query)).one()
        return row[0], row[1]

    async def document_name(self, proposal: StoredProposal) -> str:
        query = select(DocumentRecord.name).where(DocumentRecord.id == proposal.document_id)
        async with self._sessions() as session:
            name = await session.scalar(query)
        assert name is not None  # the body document is deleted only with the proposal
        return name
