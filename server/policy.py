"""Who may do what in a room: one pure function over role, action, room state.

The table (docs/rooms.md repeats it; tests/server/test_policy.py checks every cell):

=================  ==============  ================  ==========  ========  =========
action             anonymous       non-member        observer    particip  mod/owner
=================  ==============  ================  ==========  ========  =========
read_room          public          public            yes         yes       yes
read_document      public          public            yes         yes       yes
write_document     no              no                no          yes       yes
create_document    no              no                no          yes       yes
comment            no              no                yes         yes       yes
invite             no              no                no          no        yes
manage_members     no              no                no          no        yes
manage_owners      no              no                no          no        owner
update_room        no              no                no          no        owner
archive_room       no              no                no          no        owner
read_audit         no              no                no          no        owner
post_message       no              no                no          yes       yes
react              no              no                no          yes       yes
raise_hand         no              no                no          yes       yes
flag               no              no                yes         yes       yes
moderate           no              no                no          no        yes
run_session        no              no                no          no        yes
create_proposal    no              no                no          yes       yes
manage_proposals   no              no                no          no        yes
vote               no              no                no          yes       yes
=================  ==============  ================  ==========  ========  =========

"public" means allowed in a public room only. An archived room is read-only for everyone:
every action but ``read_room``, ``read_document`` and ``read_audit`` is refused. A locked
room (live-room moderation) is read-only for everyone but moderators and owners:
``post_message``, ``react``, ``raise_hand`` and ``flag`` are refused to the others.
``manage_owners`` (making, demoting or removing an owner, or inviting one) is asked on top
of ``manage_members`` / ``invite`` when an owner is involved.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from server.errors import Denied, DomainError, Unauthenticated
from server.i18n import translatable

N_ = translatable("problems")


class Role(enum.StrEnum):
    OWNER = "owner"
    MODERATOR = "moderator"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


class Action(enum.StrEnum):
    READ_ROOM = "read_room"
    UPDATE_ROOM = "update_room"
    ARCHIVE_ROOM = "archive_room"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_OWNERS = "manage_owners"
    INVITE = "invite"
    READ_DOCUMENT = "read_document"
    WRITE_DOCUMENT = "write_document"
    CREATE_DOCUMENT = "create_document"
    COMMENT = "comment"  # anchored comments on a room's documents (docs/amendments.md)
    READ_AUDIT = "read_audit"
    POST_MESSAGE = "post_message"
    REACT = "react"
    RAISE_HAND = "raise_hand"
    FLAG = "flag"
    MODERATE = "moderate"
    RUN_SESSION = "run_session"
    CREATE_PROPOSAL = "create_proposal"
    MANAGE_PROPOSALS = "manage_proposals"  # open discussion and votes, close votes
    VOTE = "vote"  # be in a vote's electorate when it opens


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class Reason(enum.StrEnum):
    """Why a decision came out as it did; ``HIDDEN`` means the room must not be revealed."""

    ALLOWED = "allowed"
    HIDDEN = "hidden"  # a private room and the caller is no member
    NOT_AUTHENTICATED = "not_authenticated"
    NOT_A_MEMBER = "not_a_member"
    ROLE = "role"  # a member, but the role does not allow it
    ARCHIVED = "archived"
    LOCKED = "locked"  # the live room is locked: only moderators may speak


@dataclass(frozen=True)
class RoomState:
    visibility: Visibility
    archived: bool = False
    locked: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason


READS = frozenset({Action.READ_ROOM, Action.READ_DOCUMENT, Action.READ_AUDIT})
_ROLES_FOR: dict[Action, frozenset[Role]] = {
    Action.READ_ROOM: frozenset(Role),
    Action.READ_DOCUMENT: frozenset(Role),
    Action.WRITE_DOCUMENT: frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT}),
    Action.CREATE_DOCUMENT: frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT}),
    Action.COMMENT: frozenset(Role),
    Action.INVITE: frozenset({Role.OWNER, Role.MODERATOR}),
    Action.MANAGE_MEMBERS: frozenset({Role.OWNER, Role.MODERATOR}),
    Action.MANAGE_OWNERS: frozenset({Role.OWNER}),
    Action.UPDATE_ROOM: frozenset({Role.OWNER}),
    Action.ARCHIVE_ROOM: frozenset({Role.OWNER}),
    Action.READ_AUDIT: frozenset({Role.OWNER}),
    Action.POST_MESSAGE: frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT}),
    Action.REACT: frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT}),
    Action.RAISE_HAND: frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT}),
    Action.FLAG: frozenset(Role),
    Action.MODERATE: frozenset({Role.OWNER, Role.MODERATOR}),
    Action.RUN_SESSION: frozenset({Role.OWNER, Role.MODERATOR}),
    Action.CREATE_PROPOSAL: frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT}),
    Action.MANAGE_PROPOSALS: frozenset({Role.OWNER, Role.MODERATOR}),
    Action.VOTE: frozenset({Role.OWNER, Role.MODERATOR, Role.PARTICIPANT}),
}
_SILENCED_BY_LOCK = frozenset({Action.POST_MESSAGE, Action.REACT, Action.RAISE_HAND, Action.FLAG})
_SPEAK_WHEN_LOCKED = frozenset({Role.OWNER, Role.MODERATOR})
_PUBLIC_READS = frozenset({Action.READ_ROOM, Action.READ_DOCUMENT})
_ALLOWED = Decision(True, Reason.ALLOWED)


def decide(role: Role | None, is_authenticated: bool, action: Action, room: RoomState) -> Decision:
    """May a caller with ``role`` in the room (None: not a member) do ``action``?"""
    if not is_authenticated:
        role = None
    if role is None:
        if room.visibility is Visibility.PRIVATE:
            return Decision(False, Reason.HIDDEN)
        if action in _PUBLIC_READS:
            return _ALLOWED
        reason = Reason.NOT_A_MEMBER if is_authenticated else Reason.NOT_AUTHENTICATED
        return Decision(False, reason)
    if role not in _ROLES_FOR[action]:
        return Decision(False, Reason.ROLE)
    if room.archived and action not in READS:
        return Decision(False, Reason.ARCHIVED)
    if room.locked and action in _SILENCED_BY_LOCK and role not in _SPEAK_WHEN_LOCKED:
        return Decision(False, Reason.LOCKED)
    return _ALLOWED


class PolicyRefusal(DomainError):
    """Root of the policy's refusals; ``decision.reason`` says why."""

    def __init__(self, decision: Decision, detail: str, *, slug: str | None = None) -> None:
        super().__init__(detail, slug=slug, reason=decision.reason.value)
        self.decision = decision


class Refused(PolicyRefusal, Denied):
    """The caller's role or the room's state does not allow the action."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision, "your role does not allow this")


class RoomArchived(Refused):
    """The room is archived: read-only for everyone."""

    title = N_("Room archived")

    def __init__(self, decision: Decision) -> None:
        PolicyRefusal.__init__(self, decision, "the room is archived", slug="room-archived")


class SignInRequired(PolicyRefusal, Unauthenticated):
    """The action needs a signed-in caller."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision, "a valid bearer token is required", slug="unauthorized")
        self.extra.pop("reason")  # as every 401: no reason member


def refusal(decision: Decision) -> PolicyRefusal:
    """The error for a refused decision (``HIDDEN`` is the caller's to turn into not-found)."""
    if decision.reason is Reason.NOT_AUTHENTICATED:
        return SignInRequired(decision)
    if decision.reason is Reason.ARCHIVED:
        return RoomArchived(decision)
    return Refused(decision)
