"""What every part of the decisions service works with: the stores, the room's live
channel, the audit log and the clock; and the two steps they all take (who acts, and
announcing a change)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.documents.forks import Forks
from server.documents.registry import DocumentRegistry
from server.live.rooms import LiveRooms
from server.policy import Action, Role
from server.rooms.service import Rooms, RoomView
from storage.accounts import AccountStore, StoredUser
from storage.audit import AuditLog
from storage.discussion import DiscussionStore
from storage.polls import PollStore
from storage.proposals import ProposalStore
from storage.rooms import RoomStore

VOTERS = frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT})


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def body_text(rendered: dict[str, object]) -> str:
    """The text a vote binds to: the `content` Y.Text, the convention of every Veche client."""
    value = rendered.get("content", "")
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True, kw_only=True)
class DecisionsContext:
    rooms: Rooms
    room_store: RoomStore
    proposals: ProposalStore
    polls: PollStore
    documents: DocumentRegistry
    discussion: DiscussionStore
    live_rooms: LiveRooms
    accounts: AccountStore
    audit: AuditLog
    forks: Forks
    clock: Callable[[], datetime]

    def actor(self, view: RoomView, action: Action) -> StoredUser:
        view.require(action)
        assert view.actor is not None  # every action here is for members only
        return view.actor

    async def electorate(self, room_id: int) -> list[int]:
        """Who may vote in the room now: its owners, moderators and participants."""
        members = await self.room_store.members(room_id)
        return [m.user_id for m in members if Role(m.role) in VOTERS]

    async def announce(
        self, view: RoomView, user: StoredUser, type_: str, address: str | None, **payload: Any
    ) -> None:
        """A numbered event in the room's live channel, and its audit entry."""
        event = await self.discussion.append(
            view.room.id, type_, payload, actor_user_id=user.id, now=self.clock()
        )
        self.live_rooms.publish(event)
        details = {"proposal_id": payload["proposal"]["id"]} if "proposal" in payload else {}
        await self.audit.record(
            type_, actor_user_id=user.id, room_id=view.room.id, address=address, details=details
        )
