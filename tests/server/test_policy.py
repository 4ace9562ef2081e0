"""The authorization matrix of server/policy.py: every caller, action, room state."""

from __future__ import annotations

import pytest

from server.policy import Action, Decision, Reason, Role, RoomState, Visibility, decide

# Columns: anonymous, non-member, observer, participant, moderator, owner.
# Y allowed · H hidden (404) · U not authenticated (401) · M not a member · R role · A archived
# L locked
CALLERS: list[tuple[str, Role | None, bool]] = [
    ("anonymous", None, False),
    ("non-member", None, True),
    ("observer", Role.OBSERVER, True),
    ("participant", Role.PARTICIPANT, True),
    ("moderator", Role.MODERATOR, True),
    ("owner", Role.OWNER, True),
]
STATES = {
    "public": RoomState(Visibility.PUBLIC),
    "private": RoomState(Visibility.PRIVATE),
    "archived": RoomState(Visibility.PUBLIC, archived=True),
    "private-archived": RoomState(Visibility.PRIVATE, archived=True),
    "locked": RoomState(Visibility.PUBLIC, locked=True),
    "private-locked": RoomState(Visibility.PRIVATE, locked=True),
}
#                   public    private   archived  private-archived  locked  private-locked
MATRIX: dict[Action, tuple[str, str, str, str, str, str]] = {
    Action.READ_ROOM: ("YYYYYY", "HHYYYY", "YYYYYY", "HHYYYY", "YYYYYY", "HHYYYY"),
    Action.READ_DOCUMENT: ("YYYYYY", "HHYYYY", "YYYYYY", "HHYYYY", "YYYYYY", "HHYYYY"),
    Action.WRITE_DOCUMENT: ("UMRYYY", "HHRYYY", "UMRAAA", "HHRAAA", "UMRYYY", "HHRYYY"),
    Action.CREATE_DOCUMENT: ("UMRYYY", "HHRYYY", "UMRAAA", "HHRAAA", "UMRYYY", "HHRYYY"),
    Action.COMMENT: ("UMYYYY", "HHYYYY", "UMAAAA", "HHAAAA", "UMYYYY", "HHYYYY"),
    Action.INVITE: ("UMRRYY", "HHRRYY", "UMRRAA", "HHRRAA", "UMRRYY", "HHRRYY"),
    Action.MANAGE_MEMBERS: ("UMRRYY", "HHRRYY", "UMRRAA", "HHRRAA", "UMRRYY", "HHRRYY"),
    Action.MANAGE_OWNERS: ("UMRRRY", "HHRRRY", "UMRRRA", "HHRRRA", "UMRRRY", "HHRRRY"),
    Action.UPDATE_ROOM: ("UMRRRY", "HHRRRY", "UMRRRA", "HHRRRA", "UMRRRY", "HHRRRY"),
    Action.ARCHIVE_ROOM: ("UMRRRY", "HHRRRY", "UMRRRA", "HHRRRA", "UMRRRY", "HHRRRY"),
    Action.READ_AUDIT: ("UMRRRY", "HHRRRY", "UMRRRY", "HHRRRY", "UMRRRY", "HHRRRY"),
    Action.POST_MESSAGE: ("UMRYYY", "HHRYYY", "UMRAAA", "HHRAAA", "UMRLYY", "HHRLYY"),
    Action.REACT: ("UMRYYY", "HHRYYY", "UMRAAA", "HHRAAA", "UMRLYY", "HHRLYY"),
    Action.RAISE_HAND: ("UMRYYY", "HHRYYY", "UMRAAA", "HHRAAA", "UMRLYY", "HHRLYY"),
    Action.FLAG: ("UMYYYY", "HHYYYY", "UMAAAA", "HHAAAA", "UMLLYY", "HHLLYY"),
    Action.MODERATE: ("UMRRYY", "HHRRYY", "UMRRAA", "HHRRAA", "UMRRYY", "HHRRYY"),
    Action.RUN_SESSION: ("UMRRYY", "HHRRYY", "UMRRAA", "HHRRAA", "UMRRYY", "HHRRYY"),
    Action.CREATE_PROPOSAL: ("UMRYYY", "HHRYYY", "UMRAAA", "HHRAAA", "UMRYYY", "HHRYYY"),
    Action.MANAGE_PROPOSALS: ("UMRRYY", "HHRRYY", "UMRRAA", "HHRRAA", "UMRRYY", "HHRRYY"),
    Action.VOTE: ("UMRYYY", "HHRYYY", "UMRAAA", "HHRAAA", "UMRYYY", "HHRYYY"),
}
CODES = {
    "Y": Reason.ALLOWED,
    "H": Reason.HIDDEN,
    "U": Reason.NOT_AUTHENTICATED,
    "M": Reason.NOT_A_MEMBER,
    "R": Reason.ROLE,
    "A": Reason.ARCHIVED,
    "L": Reason.LOCKED,
}
CASES = [
    pytest.param(
        role, authenticated, action, STATES[state], CODES[row[c]], id=f"{who}-{action}-{state}"
    )
    for action, rows in MATRIX.items()
    for state, row in zip(STATES, rows, strict=True)
    for c, (who, role, authenticated) in enumerate(CALLERS)
]


def test_the_matrix_covers_every_action() -> None:
    assert set(MATRIX) == set(Action)
    assert len(CASES) == len(Action) * len(STATES) * len(CALLERS)


@pytest.mark.parametrize(("role", "authenticated", "action", "room", "expected"), CASES)
def test_decide(
    role: Role | None, authenticated: bool, action: Action, room: RoomState, expected: Reason
) -> None:
    assert decide(role, authenticated, action, room) == Decision(
        expected is Reason.ALLOWED, expected
    )


def test_a_role_without_authentication_counts_as_anonymous() -> None:
    room = RoomState(Visibility.PRIVATE)
    assert decide(Role.OWNER, False, Action.READ_ROOM, room) == Decision(False, Reason.HIDDEN)
