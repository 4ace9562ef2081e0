"""Proposals and amendments: creation and the steps of their lifecycle before a vote.

draft → discussion, draft or discussion → withdrawn (by its author or a moderator); the
vote opens on a proposal in discussion (votes.py) and decides it when it closes."""

from __future__ import annotations

import secrets

from server.decisions import DecisionConflict, DecisionNotFound
from server.decisions.commands import NewProposal, ProposalMove
from server.decisions.context import DecisionsContext
from server.decisions.views import ProposalView, as_json, proposal_view
from server.policy import Action
from server.rooms.service import RoomView
from storage.decision_models import WRITABLE_STATES
from storage.proposals import StoredProposal

MOVES = {"discussion": ("draft",), "withdrawn": ("draft", "discussion")}


class Proposals:
    def __init__(self, ctx: DecisionsContext) -> None:
        self._ctx = ctx

    async def view(self, proposal: StoredProposal) -> ProposalView:
        document, author = await self._ctx.proposals.document_and_author(proposal)
        return proposal_view(proposal, document, author)

    async def get(self, view: RoomView, proposal_id: int) -> StoredProposal:
        view.require(Action.READ_ROOM)
        proposal = await self._ctx.proposals.get(view.room.id, proposal_id)
        if proposal is None:
            raise DecisionNotFound("proposal", f"no proposal {proposal_id} in this room")
        return proposal

    async def create(self, view: RoomView, new: NewProposal, address: str | None) -> StoredProposal:
        ctx = self._ctx
        user = ctx.actor(view, Action.CREATE_PROPOSAL)
        name = new.document or f"proposal-{secrets.token_hex(6)}"
        await ctx.rooms.create_document(view, name, address)
        document = await ctx.rooms.documents.find_document(name)
        assert document is not None
        proposal = await ctx.proposals.create(
            view.room.id, document.id, new.title, user.id, ctx.clock()
        )
        shown = as_json(await self.view(proposal))
        await ctx.announce(view, user, "proposal.created", address, proposal=shown)
        return proposal

    async def amend(
        self, view: RoomView, base_id: int, new: NewProposal, address: str | None
    ) -> StoredProposal:
        """An amendment of a proposal in draft or discussion: a proposal whose body is a fork
        of the base's body as it is now, merged into the base when it is adopted."""
        ctx = self._ctx
        base = await self.get(view, base_id)
        user = ctx.actor(view, Action.CREATE_PROPOSAL)
        if base.state not in WRITABLE_STATES:
            raise DecisionConflict("proposal-state", f"a {base.state} proposal takes no amendments")
        name = new.document or f"amendment-{secrets.token_hex(6)}"
        await ctx.rooms.create_document(view, name, address)
        base_name = await ctx.proposals.document_name(base)
        fork = await ctx.forks.fork(
            base_name, base.document_id, name, author=user.name, user_id=user.id
        )
        amendment = await ctx.proposals.create(
            view.room.id, fork.document_id, new.title, user.id, ctx.clock(), amends_id=base.id
        )
        shown = as_json(await self.view(amendment))
        await ctx.announce(view, user, "proposal.created", address, proposal=shown)
        return amendment

    async def move(
        self, view: RoomView, proposal_id: int, asked: ProposalMove, address: str | None
    ) -> StoredProposal:
        ctx, to = self._ctx, asked.state
        proposal = await self.get(view, proposal_id)
        author = view.actor is not None and proposal.created_by == view.actor.id
        user = ctx.actor(view, Action.CREATE_PROPOSAL if author else Action.MANAGE_PROPOSALS)
        if not await ctx.proposals.move(proposal.id, MOVES[to], to, ctx.clock()):
            raise DecisionConflict(
                "proposal-state", f"a {proposal.state} proposal cannot become {to}"
            )
        moved = await self.get(view, proposal_id)
        shown = as_json(await self.view(moved))
        await ctx.announce(view, user, f"proposal.{to}", address, proposal=shown)
        return moved
