"""Rooms: settings, membership, invitations and room documents, every step asked of
``server.policy``. Plain Python over ``storage.rooms`` and ``storage.audit``; HTTP lives in
``server/http/rooms.py``. Errors::

    RoomsError               root
     ├── RoomNotFound        no such room, or a private one the caller may not know of
     ├── Denied              the policy said no; ``decision.reason`` says why
     ├── Conflict            a taken slug or document name, the last owner, a member already,
     │                       revoking a used invitation
     ├── InvitationUnusable  an unknown, used, expired or revoked invitation; ``outcome``
     └── InvalidInput        a value that cannot be accepted; ``field`` names it
"""

from __future__ import annotations

from server.policy import Decision


class RoomsError(Exception):
    """Root of the errors of ``server.rooms``."""


class RoomNotFound(RoomsError):
    """No room with this slug, or a private room the caller is not a member of."""


class Denied(RoomsError):
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason.value)
        self.decision = decision


class Conflict(RoomsError):
    def __init__(self, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.slug = slug


class InvitationUnusable(RoomsError):
    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class InvalidInput(RoomsError):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
