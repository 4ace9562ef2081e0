"""What a caller asks of `Rooms`, as typed commands; their constraints are the API's
(the OpenAPI document is generated from them, server/http/rooms.py)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.documents.names import MAX_NAME_LENGTH
from server.policy import Role, Visibility
from storage.models import DESCRIPTION_LENGTH, TITLE_LENGTH

MAX_INVITATION_SECONDS = 30 * 24 * 3600
DEFAULT_INVITATION_SECONDS = 7 * 24 * 3600

Slug = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$",
        description="1 to 64 of a-z, 0-9 and inner hyphens",
    ),
]
Title = Annotated[
    str, msgspec.Meta(min_length=1, max_length=TITLE_LENGTH, pattern=r"\S", description="not blank")
]
Description = Annotated[str, msgspec.Meta(max_length=DESCRIPTION_LENGTH)]
DocumentName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        description="1 to 255 printable characters, no / \\ ? # %",
    ),
]


class NewRoom(msgspec.Struct, kw_only=True):
    slug: Slug
    title: Title | None = None  # the slug when absent
    description: Description = ""
    visibility: Visibility = Visibility.PRIVATE


class RoomChanges(msgspec.Struct, kw_only=True):
    """Only the members present change."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    visibility: Visibility | msgspec.UnsetType = msgspec.UNSET


class Membership(msgspec.Struct, kw_only=True):
    role: Role


class NewInvitation(msgspec.Struct, kw_only=True):
    role: Role = Role.PARTICIPANT
    expires_in: Annotated[int, msgspec.Meta(ge=1, le=MAX_INVITATION_SECONDS)] = (
        DEFAULT_INVITATION_SECONDS
    )


class NewDocument(msgspec.Struct, kw_only=True):
    name: DocumentName
