"""Issue 10 without a network: places in a room and every integer field of every live
command (the send bound of a live socket: tests/server/test_live_flow.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import server.live.service  # noqa: F401  (registers every command)
from server.live.commands import REGISTRY
from server.live.protocol import MAX_INTEGER, ErrorCode, LiveError, parse
from server.live.seats import NoSeat, Seat, SeatKind, SeatLimits, Seats

VALIDATORS = {name: spec.validator for name, spec in REGISTRY.items()}


# -- places ------------------------------------------------------------------------------------
def test_guests_and_addresses_have_their_share_and_room_runners_always_enter() -> None:
    seats = Seats(SeatLimits(total=6, guests=4, per_address=2))
    here, there = Seat(SeatKind.ANONYMOUS, "10.0.0.1"), Seat(SeatKind.ANONYMOUS, "10.0.0.2")
    assert [seats.take(here) for _ in range(3)] == [None, None, NoSeat.ADDRESS_FULL]
    assert seats.take(there) is None
    assert seats.take(Seat(SeatKind.GUEST)) is None
    assert seats.take(there) is NoSeat.ROOM_FULL  # four guests: the guests' share is taken
    assert [seats.take(Seat(SeatKind.MEMBER)) for _ in range(3)] == [None, None, NoSeat.ROOM_FULL]
    assert seats.take(Seat(SeatKind.RUNS_ROOM)) is None  # owners and moderators: always
    seats.give_back(here)
    seats.give_back(Seat(SeatKind.MEMBER))
    assert seats.take(there) is None  # places given back serve others
    for seat in (here, there, there, Seat(SeatKind.GUEST), Seat(SeatKind.MEMBER)):
        seats.give_back(seat)
    seats.give_back(Seat(SeatKind.RUNS_ROOM))
    assert (seats.taken, seats.guests, seats.anonymous) == (0, 0, {})  # nothing kept


# -- integers ----------------------------------------------------------------------------------
def _valid(schema: dict[str, Any]) -> Any:
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema["type"]
    kind = kind[0] if isinstance(kind, list) else kind
    return {"integer": 1, "boolean": True, "string": "x"}[kind]


def _integer_fields() -> list[tuple[str, str]]:
    found = []
    for name, spec in sorted(REGISTRY.items()):
        for field, schema in spec.schema["properties"].items():
            kinds = schema.get("type", [])
            if "integer" in (kinds if isinstance(kinds, list) else [kinds]):
                found.append((name, field))
    return found


INTEGER_FIELDS = _integer_fields()


def test_every_integer_field_has_an_upper_bound_that_sql_can_hold() -> None:
    assert len(INTEGER_FIELDS) >= 10
    for name, field in INTEGER_FIELDS:
        assert REGISTRY[name].schema["properties"][field]["maximum"] <= MAX_INTEGER, (name, field)


@pytest.mark.parametrize(("name", "field"), INTEGER_FIELDS)
@pytest.mark.parametrize(
    "number", [str(10**30), "9" * 5000, "-" + "9" * 5000, str(MAX_INTEGER + 1), "2.0", "1e400"]
)
def test_a_number_out_of_range_is_refused_in_every_command(
    name: str, field: str, number: str
) -> None:
    spec = REGISTRY[name]
    frame = {k: _valid(s) for k, s in spec.schema["properties"].items() if k != "ref"}
    frame["ref"] = "r1"
    assert parse(json.dumps(frame), 64 * 1024, VALIDATORS).type == name  # valid as it is
    text = json.dumps({**frame, field: "NUMBER"}).replace('"NUMBER"', number)
    with pytest.raises(LiveError) as refused:
        parse(text, 64 * 1024, VALIDATORS)
    assert refused.value.code is ErrorCode.INVALID_MESSAGE
    assert refused.value.extra == {"ref": "r1"}  # the error answers the command that sent it
