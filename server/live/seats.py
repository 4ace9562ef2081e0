"""Who may take a place in a live room on this node (docs/protocol.md, "Limits").

A public room lets anyone read, so without a rule of its own a crowd of anonymous sockets
from one address could fill the room's cap and lock its members out (issue 10). Places are
therefore counted by kind:

| kind | admitted while |
| --- | --- |
| owner or moderator | always (the membership bounds them; outsiders cannot grow it) |
| member (participant, observer) | the room has fewer than `total` connections |
| guest: signed-in non-member | fewer than `total` connections and fewer than `guests` guests |
| guest: anonymous | as a signed-in guest, and fewer than `per_address` anonymous from its address |

So at least `total - guests` places stay for members whatever guests do, and one address
holds at most `per_address` anonymous places. Pure bookkeeping: no I/O, no clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class SeatKind(enum.Enum):
    RUNS_ROOM = "runs_room"  # owner or moderator
    MEMBER = "member"
    GUEST = "guest"  # signed in, not a member
    ANONYMOUS = "anonymous"


class NoSeat(enum.Enum):
    """Why a connection was not admitted (the socket maps each to an error and close)."""

    ROOM_FULL = "room_full"
    ADDRESS_FULL = "address_full"


@dataclass(frozen=True)
class Seat:
    kind: SeatKind
    address: str | None = None  # the client address, counted for anonymous seats only


@dataclass(frozen=True)
class SeatLimits:
    total: int  # VECHE_MAX_ROOM_CONNECTIONS
    guests: int  # VECHE_MAX_ROOM_GUESTS
    per_address: int  # VECHE_LIVE_ANONYMOUS_PER_ADDRESS


@dataclass
class Seats:
    """The places taken in one live room on this node."""

    limits: SeatLimits
    taken: int = 0
    guests: int = 0
    anonymous: dict[str | None, int] = field(default_factory=dict)  # by address; no zeros

    def take(self, seat: Seat) -> NoSeat | None:
        """Take a place for ``seat``; why not, or None when taken."""
        limits = self.limits
        if seat.kind is not SeatKind.RUNS_ROOM and self.taken >= limits.total:
            return NoSeat.ROOM_FULL
        guest = seat.kind in (SeatKind.GUEST, SeatKind.ANONYMOUS)
        if guest and self.guests >= limits.guests:
            return NoSeat.ROOM_FULL
        if seat.kind is SeatKind.ANONYMOUS:
            if self.anonymous.get(seat.address, 0) >= limits.per_address:
                return NoSeat.ADDRESS_FULL
            self.anonymous[seat.address] = self.anonymous.get(seat.address, 0) + 1
        self.taken += 1
        self.guests += guest
        return None

    def give_back(self, seat: Seat) -> None:
        """Free the place ``seat`` took (the same Seat that `take` admitted)."""
        self.taken -= 1
        self.guests -= seat.kind in (SeatKind.GUEST, SeatKind.ANONYMOUS)
        if seat.kind is SeatKind.ANONYMOUS:
            left = self.anonymous.get(seat.address, 0) - 1
            if left > 0:
                self.anonymous[seat.address] = left
            else:
                self.anonymous.pop(seat.address, None)
