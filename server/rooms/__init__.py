"""Rooms: settings, membership, invitations and room documents, every step asked of
``server.policy``. Plain Python over ``storage.rooms`` and ``storage.audit``; HTTP lives in
``server/http/rooms.py``. Errors (kinds from ``server.errors``)::

    RoomsError                 root
     ├── RoomNotFound          NotFound: no such room, or a private one the caller may not
     │                         know of
     ├── MemberNotFound        NotFound: the user is not a member
     ├── InvitationNotFound    NotFound: no such invitation
     ├── InvitationUnusable    Gone: a used, expired or revoked invitation; ``outcome``
     ├── RoomConflict          Conflict: a taken slug or document name, the last owner,
     │                         a member already, revoking a used invitation
     └── InvalidRoomInput      Invalid: a value that cannot be accepted; ``field`` names it

The policy's refusals are ``server.policy.Refused`` (``decision.reason`` says why).
"""

from __future__ import annotations

from server.errors import Conflict, DomainError, Gone, Invalid, NotFound
from server.i18n import translatable

N_ = translatable("problems")


class RoomsError(DomainError):
    """Root of the errors of ``server.rooms``."""


class RoomNotFound(RoomsError, NotFound):
    """No room with this slug, or a private room the caller is not a member of."""

    title = N_("Room not found")

    def __init__(self, slug: str) -> None:
        super().__init__(f"there is no room {slug!r}", slug="room-not-found")


class MemberNotFound(RoomsError, NotFound):
    title = N_("Member not found")

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} is not a member", slug="member-not-found")


class InvitationNotFound(RoomsError, NotFound):
    title = N_("Invitation not found")

    def __init__(self) -> None:
        super().__init__("no such invitation", slug="invitation-not-found")


class InvitationUnusable(RoomsError, Gone):
    title = N_("Invitation unusable")

    def __init__(self, outcome: str) -> None:
        super().__init__(f"the invitation is {outcome}", slug=f"invitation-{outcome}")
        self.outcome = outcome


class RoomConflict(RoomsError, Conflict):
    def __init__(self, slug: str, detail: str) -> None:
        super().__init__(detail, slug=slug)


class InvalidRoomInput(RoomsError, Invalid):
    """A value that cannot be accepted; ``field`` names it."""
