"""The `/live/{room}` protocol: one JSON object per text frame, each with a `type`.

Every message a client may send has a JSON Schema, declared with its handler
(server/live/commands.py; docs/protocol.md prints them and a test keeps the two equal).
`parse` turns a frame into a `Command` or raises `LiveError` with a stable code; the
connection stays open either way.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, TypeChecker, validators
from jsonschema.protocols import Validator

from server.json_text import has_lone_surrogate, may_hold_surrogates


class ErrorCode(enum.StrEnum):
    """The `code` of an `error` event (docs/protocol.md lists when each is sent)."""

    INVALID_JSON = "invalid_json"
    INVALID_MESSAGE = "invalid_message"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LARGE = "too_large"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SLOW_MODE = "slow_mode"
    MUTED = "muted"
    LOCKED = "locked"
    ARCHIVED = "archived"
    CONFLICT = "conflict"
    ROOM_FULL = "room_full"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    UNAVAILABLE = "unavailable"


class LiveError(Exception):
    """A refused message: the sender gets an `error` event with this code."""

    def __init__(self, code: ErrorCode, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code, self.detail, self.extra = code, detail, extra


# Ids and positions are SQL INTEGER columns (32-bit on PostgreSQL): a larger number names
# nothing, and must be refused here rather than reach the database driver (issue 10).
MAX_INTEGER = 2**31 - 1
_INTEGER_DIGITS = 40

_REF = {"type": "string", "maxLength": 64, "description": "echoed in the ack or error"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}
TEXT = {"type": "string"}  # lengths are checked by the handler (error `too_large`)
REASON = {"type": "string", "minLength": 1, "maxLength": 500}
USER = {"type": "string", "minLength": 1, "maxLength": 64, "description": "a user name"}


def schema_of(
    name: str, description: str, optional: tuple[str, ...] = (), **fields: Any
) -> dict[str, Any]:
    """The JSON Schema of a client message `name` with these fields (all required but
    ``optional``); `type` and `ref` are added."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": name,
        "description": description,
        "type": "object",
        "properties": {"type": {"const": name}, "ref": _REF, **fields},
        "required": ["type", *(k for k in fields if k not in optional)],
        "additionalProperties": False,
    }


def _whole_number(checker: TypeChecker, instance: object) -> bool:
    # JSON Schema counts 5.0 and 1e30 as integers; handlers and SQL want a Python int
    return isinstance(instance, int) and not isinstance(instance, bool)


_StrictValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _whole_number),
)


def validator_for(schema: dict[str, Any]) -> Validator:
    """The validator of a client message's schema: Draft 2020-12 where an integer is an
    integer literal, not a float that happens to be whole."""
    validator: Validator = _StrictValidator(schema)
    return validator


def _integer(literal: str) -> int | float:
    # A literal longer than any field allows is not converted (Python refuses more than
    # 4,300 digits, and converting is quadratic): infinity keeps its sign, parsing goes on,
    # so the schema refuses it with the frame's `ref` (no field takes a float)
    if len(literal) > _INTEGER_DIGITS:
        return -math.inf if literal.startswith("-") else math.inf
    return int(literal)


@dataclass(frozen=True)
class Command:
    type: str
    ref: str | None
    fields: dict[str, Any]


def parse(frame: str, max_bytes: int, schemas: Mapping[str, Validator]) -> Command:
    """The command in one text frame, checked by the validator of its type; LiveError with
    the reason it is refused."""
    if len(frame.encode()) > max_bytes:
        raise LiveError(ErrorCode.TOO_LARGE, f"a frame is at most {max_bytes} bytes")
    try:
        value = json.loads(frame, parse_int=_integer)
    except (json.JSONDecodeError, RecursionError):
        raise LiveError(ErrorCode.INVALID_JSON, "the frame is not JSON") from None
    except ValueError:  # a number json cannot convert: valid JSON, but no field takes it
        raise LiveError(ErrorCode.INVALID_MESSAGE, "a number is out of range") from None
    if not isinstance(value, dict):
        raise LiveError(ErrorCode.INVALID_MESSAGE, "a message is a JSON object")
    if may_hold_surrogates(frame) and has_lone_surrogate(value):
        raise LiveError(ErrorCode.INVALID_MESSAGE, "a string holds a lone UTF-16 surrogate")
    ref = value.get("ref") if isinstance(value.get("ref"), str) else None
    kind = value.get("type")
    if not isinstance(kind, str):
        raise LiveError(ErrorCode.INVALID_MESSAGE, "a message has a string `type`", ref=ref)
    validator = schemas.get(kind)
    if validator is None:
        raise LiveError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}", ref=ref)
    error = next(iter(sorted(validator.iter_errors(value), key=lambda e: e.path)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "message"
        raise LiveError(ErrorCode.INVALID_MESSAGE, f"{where}: {error.message}", ref=ref)
    fields = {k: v for k, v in value.items() if k not in ("type", "ref")}
    return Command(kind, ref, fields)
