"""What a caller asks of the directory, as typed commands; their constraints are the API's
(the OpenAPI document is generated from them, server/http/directory.py). The values are then
checked by the same rules as a CSV row (``import_rows.check_row``), so a form and a file
accept exactly the same organisations."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.directory.import_rows import MAX_DESCRIPTION, MAX_NAME
from server.directory.kinds import KINDS, SECTORS


def _one_of(terms: tuple[str, ...], what: str) -> msgspec.Meta:
    return msgspec.Meta(pattern=f"^({'|'.join(terms)})$", description=f"{what}: {', '.join(terms)}")


Kind = Annotated[str, _one_of(tuple(t.slug for t in KINDS), "a kind")]
Sector = Annotated[str, _one_of(tuple(t.slug for t in SECTORS), "a sector")]
OblastCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="e.g. PDV")]
MunicipalityCode = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Z]{3}[0-9]{2}$", description="ЕКАТТЕ code, e.g. PDV22")
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME, pattern=r"\S")]
Text = Annotated[str, msgspec.Meta(max_length=MAX_DESCRIPTION)]
Short = Annotated[str, msgspec.Meta(max_length=300)]
MAX_QUERY = 200
MAX_PAGE = 100
MAX_OFFSET = 100_000


class OrganisationValues(msgspec.Struct, kw_only=True):
    name: Name
    kind: Kind
    registration_number: Short | None = None
    oblast: OblastCode | None = None
    municipality: MunicipalityCode | None = None
    sectors: Annotated[list[Sector], msgspec.Meta(max_length=len(SECTORS))] = []
    website: Short | None = None
    email: Short | None = None
    phone: Short | None = None
    description: Text = ""


class OrganisationChanges(msgspec.Struct, kw_only=True):
    """Only the members present change; ``null`` clears an optional one."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    kind: Kind | msgspec.UnsetType = msgspec.UNSET
    registration_number: Short | msgspec.UnsetType | None = msgspec.UNSET
    oblast: OblastCode | msgspec.UnsetType | None = msgspec.UNSET
    municipality: MunicipalityCode | msgspec.UnsetType | None = msgspec.UNSET
    sectors: Annotated[list[Sector], msgspec.Meta(max_length=len(SECTORS))] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    website: Short | msgspec.UnsetType | None = msgspec.UNSET
    email: Short | msgspec.UnsetType | None = msgspec.UNSET
    phone: Short | msgspec.UnsetType | None = msgspec.UNSET
    description: Text | msgspec.UnsetType = msgspec.UNSET


class DirectorySearch(msgspec.Struct, kw_only=True):
    """A query: every word must begin a word of the name, description or registration
    number, in either script; the filters narrow it."""

    q: Annotated[str, msgspec.Meta(max_length=MAX_QUERY)] = ""
    oblast: OblastCode | None = None
    municipality: MunicipalityCode | None = None
    kind: Kind | None = None
    sector: Sector | None = None
    verified: bool | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE)] = 20
    offset: Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET)] = 0


class ImportFile(msgspec.Struct, kw_only=True):
    csv: Annotated[str, msgspec.Meta(min_length=1)]
    dry_run: bool = False


class Verification(msgspec.Struct, kw_only=True):
    verified: bool
