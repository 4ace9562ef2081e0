"""What a caller asks of consultations, as typed commands (the API's constraints)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.directory.commands import OblastCode, Sector
from server.directory.kinds import SECTORS
from storage.models import REASON_LENGTH

MAX_COMMENT = 10_000
MAX_REASON = 4_000
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=REASON_LENGTH, pattern=r"\S")]


class NewConsultation(msgspec.Struct, kw_only=True):
    """``closes_at`` defaults to 30 days from now; under 30 days needs a ``reason`` and
    under 14 is refused (the Law on Normative Acts, art. 26)."""

    closes_at: datetime | None = None
    reason: Reason | None = None
    oblast: OblastCode | None = None  # whom it concerns (None: the whole country)
    sectors: Annotated[list[Sector], msgspec.Meta(max_length=len(SECTORS))] = []


class NewConsultationComment(msgspec.Struct, kw_only=True):
    """A comment on code points [start, end) of the text as it is now, for the caller or for
    an organisation they represent (its slug)."""

    start: Annotated[int, msgspec.Meta(ge=0)]
    end: Annotated[int, msgspec.Meta(ge=1)]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_COMMENT, pattern=r"\S")]
    organisation: str | None = None


class CommentResponse(msgspec.Struct, kw_only=True):
    response: Literal["accepted", "partly_accepted", "not_accepted"]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON, pattern=r"\S")]
