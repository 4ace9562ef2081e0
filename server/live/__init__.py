"""Live rooms (`/live/{room}`): discussion, presence, moderation and the speaking queue.

``protocol`` parses and validates frames, ``presence`` says who is here, ``room`` delivers a
room's events to its connections in order (replaying what a reconnecting client missed),
``service`` carries out commands, ``socket`` is the WebSocket endpoint; ``history`` reads the
discussion for the REST API, and ``visibility`` says who sees a message's text.

Errors of the REST reads (kinds from ``server.errors``; the socket's are ``LiveError`` events)::

    DiscussionError            root
     ├── MessageNotFound       NotFound: no such message in the room
     ├── InvalidSearch         Invalid: a search query that cannot be run (``field`` q)
     ├── PlannedSessionNotFound  NotFound: no such planned session in the room
     └── InvalidPlan           Invalid: a planned session's times; ``field`` names it
"""

from __future__ import annotations

from server.errors import DomainError, Invalid, NotFound
from server.i18n import translatable

N_ = translatable("problems")


class DiscussionError(DomainError):
    """Root of the errors of the discussion's REST reads."""


class MessageNotFound(DiscussionError, NotFound):
    title = N_("Message not found")

    def __init__(self, message_id: int) -> None:
        super().__init__(f"no message {message_id}", slug="message-not-found")


class InvalidSearch(DiscussionError, Invalid):
    def __init__(self, detail: str) -> None:
        super().__init__("q", detail)


class PlannedSessionNotFound(DiscussionError, NotFound):
    title = N_("Planned session not found")

    def __init__(self, session_id: int) -> None:
        super().__init__(
            f"no planned session {session_id} in this room", slug="planned-session-not-found"
        )


class InvalidPlan(DiscussionError, Invalid):
    """A planned session's value that cannot be accepted; ``field`` names it."""
