"""A room's discussion for the REST API: pages of history, search, a message's earlier
versions (docs/protocol.md, docs/search.md) — each message as the caller sees it, by the one
rule of server/live/visibility.py. Whoever may read the room may read these (the caller's
`RoomView` says they may)."""

from __future__ import annotations

from dataclasses import dataclass

from server.live import InvalidSearch, MessageNotFound
from server.live.visibility import moderates, visible_body
from server.rooms.service import RoomView
from storage.accounts import AccountStore, StoredUser
from storage.discussion import DiscussionStore, MessageMissing, StoredMessage, StoredRevision
from storage.search import MessageSearch


@dataclass(frozen=True)
class ShownMessage:
    """A message as one viewer sees it: ``body`` None when its text is not theirs to see."""

    message: StoredMessage
    author: StoredUser | None
    body: str | None
    reactions: dict[str, int]


@dataclass(frozen=True)
class MessagePage:
    """Newest first; ``next_before`` is where the next page starts (None: this was the last)."""

    messages: list[ShownMessage]
    next_before: int | None


def shows_text(message: StoredMessage, view: RoomView) -> bool:
    """Whether the caller sees the message's text (the rule of server/live/visibility.py)."""
    body = visible_body(
        message.body,
        deleted=message.deleted_at is not None,
        hidden=message.hidden_at is not None,
        moderator=moderates(view.role),
    )
    return body is not None


class MessageHistory:
    def __init__(
        self, *, discussion: DiscussionStore, search: MessageSearch, accounts: AccountStore
    ) -> None:
        self._discussion, self._search, self._accounts = discussion, search, accounts

    async def page(self, view: RoomView, *, before: int | None, limit: int) -> MessagePage:
        """The room's messages, newest first, with ids below ``before``."""
        found = await self._discussion.messages(view.room.id, before=before, limit=limit)
        return await self._page(view, found, [m.id for m in found], limit)

    async def search(
        self, view: RoomView, query: str, *, before: int | None, limit: int
    ) -> MessagePage:
        """The messages matching ``query`` (docs/search.md) whose text the caller sees;
        InvalidSearch."""
        try:
            ids = await self._search.search(
                view.room.id, query, limit=limit, before=before, hidden_too=moderates(view.role)
            )
        except ValueError as exc:
            raise InvalidSearch(str(exc)) from None
        found = await self._discussion.messages_by_id(view.room.id, ids)
        ordered = [found[i] for i in ids if i in found and shows_text(found[i], view)]
        return await self._page(view, ordered, ids, limit)

    async def revisions(
        self, view: RoomView, message_id: int
    ) -> tuple[StoredMessage, list[StoredRevision]]:
        """A message's earlier texts, oldest first: none for whoever does not see its text
        (none are kept once it is deleted); MessageNotFound."""
        try:
            message = await self._discussion.message(view.room.id, message_id)
        except MessageMissing:
            raise MessageNotFound(message_id) from None
        if not shows_text(message, view):
            return message, []
        return message, await self._discussion.revisions(message.id)

    async def _page(
        self, view: RoomView, messages: list[StoredMessage], ids: list[int], limit: int
    ) -> MessagePage:
        """``ids``: what the query found, so that the next page starts after it."""
        authors = await self._accounts.users_by_id(
            {m.author_id for m in messages if m.author_id is not None}
        )
        reactions = await self._discussion.reaction_counts([m.id for m in messages])
        moderator = moderates(view.role)
        shown = [
            ShownMessage(
                message,
                None if message.author_id is None else authors.get(message.author_id),
                visible_body(
                    message.body,
                    deleted=message.deleted_at is not None,
                    hidden=message.hidden_at is not None,
                    moderator=moderator,
                ),
                reactions.get(message.id, {}),
            )
            for message in messages
        ]
        return MessagePage(shown, ids[-1] if len(ids) == limit else None)
