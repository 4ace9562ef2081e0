"""Types the API's answers share: times as the ISO 8601 strings Python writes, and the
problem document (RFC 9457) every error answers with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

_DATE_TIME = msgspec.Meta(extra_json_schema={"format": "date-time"})
Time = Annotated[str, _DATE_TIME]
OptionalTime = Annotated[str, _DATE_TIME] | None


def iso(value: datetime) -> str:
    return value.isoformat()


def optional_iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


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
