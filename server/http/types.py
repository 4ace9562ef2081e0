"""Types the API's answers share: times as the ISO 8601 strings Python writes, and the
problem document (RFC 9457) every error answers with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

import msgspec

T = TypeVar("T")

_DATE_TIME = msgspec.Meta(extra_json_schema={"format": "date-time"})
Time = Annotated[str, _DATE_TIME]
OptionalTime = Annotated[str, _DATE_TIME] | None


def iso(value: datetime) -> str:
    return value.isoformat()


def optional_iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def given(value: T | msgspec.UnsetType) -> T | None:
    """An optional query parameter's value, None when it is absent."""
    return None if isinstance(value, msgspec.UnsetType) else value


class Person(msgspec.Struct):
    """Someone as others see them: an author, a member."""

    name: str
    display_name: str


class Problem(msgspec.Struct):
    """Problem details (RFC 9457); `type` is `urn:veche:problem:<slug>`, and some problems
    carry more members (`parameter` names a bad value, `reason` a policy refusal)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    parameter: str | None = None
    reason: str | None = None
