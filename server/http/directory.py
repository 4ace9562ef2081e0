"""`/api/v1/directory/*`: the directory of organisations (docs/directory.md).

Reading (profiles, search, export, reference data) is open to anonymous callers; writing
needs a bearer token, and the service decides who may (server/directory/service.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from starlette.responses import Response

from server.directory.commands import (
    DirectorySearch,
    ImportFile,
    OrganisationChanges,
    OrganisationValues,
    Verification,
)
from server.directory.kinds import KINDS, SECTORS
from server.directory.regions import municipalities, municipality, oblast, oblasts
from server.http.endpoint import Api, Call, NoBody, NoQuery, Reply
from server.http.types import OptionalTime, Time, iso, optional_iso
from server.i18n import negotiate
from storage.directory import StoredOrganisation, StoredRepresentative

api = Api("directory")
ORGANISATION = "/directory/organisations/{organisation}"


class Place(msgspec.Struct):
    code: str
    name: str
    name_latin: str


class Organisation(msgspec.Struct):
    slug: str
    name: str
    kind: str
    registration_number: str | None
    oblast: Place | None
    municipality: Place | None
    sectors: list[str]
    description: str
    website: str | None
    email: str | None
    phone: str | None
    verified: bool
    verified_at: OptionalTime
    created_at: Time
    updated_at: Time


class Representative(msgspec.Struct):
    user_id: int
    name: str
    display_name: str
    state: str
    requested_at: Time
    confirmed_at: OptionalTime


class Profile(Organisation):
    representatives: list[Representative]


class OrganisationPage(msgspec.Struct):
    total: int
    limit: int
    offset: int
    organisations: list[Organisation]


class OrganisationList(msgspec.Struct):
    organisations: list[Organisation]


class RowProblems(msgspec.Struct):
    line: int
    errors: list[str]


class ImportResult(msgspec.Struct):
    dry_run: bool
    valid: bool
    rows: int
    problems: list[str]
    invalid_rows: list[RowProblems]
    created: list[str]  # the new organisations' slugs (none in a dry run)


class Standing(msgspec.Struct):
    state: Annotated[str, msgspec.Meta(description="pending or confirmed")]


class Term(msgspec.Struct):
    slug: str
    bg: str
    en: str


class Terms(msgspec.Struct):
    kinds: list[Term]
    sectors: list[Term]


class Municipality(Place):
    oblast: str


class Regions(msgspec.Struct):
    oblasts: list[Place]
    municipalities: list[Municipality]


def organisation_shown(found: StoredOrganisation) -> Organisation:
    return Organisation(**_fields(found))


def _fields(found: StoredOrganisation) -> dict[str, Any]:
    region = oblast(found.oblast) if found.oblast else None
    place = municipality(found.municipality) if found.municipality else None
    return {
        "slug": found.slug,
        "name": found.name,
        "kind": found.kind,
        "registration_number": found.registration_number,
        "oblast": None if region is None else Place(region.code, region.name, region.name_latin),
        "municipality": None if place is None else Place(place.code, place.name, place.name_latin),
        "sectors": list(found.sectors),
        "description": found.description,
        "website": found.website,
        "email": found.email,
        "phone": found.phone,
        "verified": found.verified_at is not None,
        "verified_at": optional_iso(found.verified_at),
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
    }


def _representative(found: StoredRepresentative) -> Representative:
    return Representative(
        found.user_id,
        found.name,
        found.display_name,
        found.state,
        iso(found.requested_at),
        optional_iso(found.confirmed_at),
    )


async def _organisation(call: Call[Any, Any]) -> StoredOrganisation:
    return await call.services.directory.get(call.path("organisation"))


async def _profile(call: Call[Any, Any], found: StoredOrganisation) -> Profile:
    listed = await call.services.directory.representatives(await call.caller(), found)
    return Profile(**_fields(found), representatives=[_representative(r) for r in listed])


@api.get(
    "/directory/organisations",
    query=DirectorySearch,
    answer=OrganisationPage,
    errors=(422,),
)
async def search(call: Call[NoBody, DirectorySearch]) -> OrganisationPage:
    """Find organisations by name, description or registration number, in either script"""
    total, found = await call.services.directory.search(call.query)
    shown = [organisation_shown(o) for o in found]
    return OrganisationPage(total, call.query.limit, call.query.offset, shown)


@api.get(
    "/directory/export",
    query=DirectorySearch,
    errors=(422,),
    media=("text/csv",),
    description="The columns of an import, then `slug` and `verified_at`; UTF-8 with a BOM",
)
async def export(call: Call[NoBody, DirectorySearch]) -> Response:
    """Every organisation the query matches, as CSV (limit and offset are ignored)"""
    text = await call.services.directory.export(call.query)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="organisations.csv"'},
    )


@api.post(
    "/directory/organisations",
    body=OrganisationValues,
    answer=Profile,
    status=201,
    errors=(400, 401, 409, 422),
    auth="bearer",
)
async def create(call: Call[OrganisationValues, NoQuery]) -> Profile:
    """Add an organisation; the caller becomes its first representative"""
    caller = (await call.principal()).user
    found = await call.services.directory.create(caller, call.body, call.address)
    return await _profile(call, found)


@api.get(ORGANISATION, answer=Profile, errors=(404,), auth="optional")
async def profile(call: Call[NoBody, NoQuery]) -> Profile:
    """An organisation's profile with its representatives"""
    return await _profile(call, await _organisation(call))


@api.patch(
    ORGANISATION,
    body=OrganisationChanges,
    answer=Profile,
    errors=(400, 401, 403, 404, 409, 422),
    auth="bearer",
)
async def update(call: Call[OrganisationChanges, NoQuery]) -> Profile:
    """Change an organisation (its representatives and administrators)"""
    caller = (await call.principal()).user
    found = await call.services.directory.update(
        caller, await _organisation(call), call.body, call.address
    )
    return await _profile(call, found)


@api.put(
    ORGANISATION + "/verification",
    body=Verification,
    answer=Profile,
    errors=(400, 401, 403, 404, 422),
    auth="bearer",
)
async def verify(call: Call[Verification, NoQuery]) -> Profile:
    """Set or clear the verified flag (administrators)"""
    caller = (await call.principal()).user
    found = await call.services.directory.verify(
        caller, await _organisation(call), call.body.verified, call.address
    )
    return await _profile(call, found)


@api.get(
    ORGANISATION + "/representatives",
    answer=list[Representative],
    errors=(401, 404),
    auth="optional",
)
async def representatives(call: Call[NoBody, NoQuery]) -> list[Representative]:
    """Confirmed representatives; pending requests too for those who may confirm them"""
    listed = await call.services.directory.representatives(
        await call.caller(), await _organisation(call)
    )
    return [_representative(r) for r in listed]


@api.post(
    ORGANISATION + "/representatives",
    answer=Standing,
    status=202,
    also=(200,),
    errors=(401, 404),
    auth="bearer",
)
async def ask(call: Call[NoBody, NoQuery]) -> Reply:
    """Ask to represent the organisation (200 if already a representative)"""
    caller = (await call.principal()).user
    state = await call.services.directory.request(caller, await _organisation(call))
    return Reply(Standing(state), status=200 if state == "confirmed" else 202)


@api.put(
    ORGANISATION + "/representatives/{user_id}",
    status=204,
    errors=(400, 401, 403, 404, 422),
    auth="bearer",
    ids=("user_id",),
)
async def confirm(call: Call[NoBody, NoQuery]) -> None:
    """Confirm a request to represent (representatives; administrators may add anyone)"""
    caller = (await call.principal()).user
    await call.services.directory.confirm(
        caller, await _organisation(call), call.path_id("user_id")
    )


@api.delete(
    ORGANISATION + "/representatives/{user_id}",
    status=204,
    errors=(401, 403, 404),
    auth="bearer",
    ids=("user_id",),
)
async def remove(call: Call[NoBody, NoQuery]) -> None:
    """Step down as a representative, or remove one (representatives, administrators)"""
    caller = (await call.principal()).user
    await call.services.directory.remove(caller, await _organisation(call), call.path_id("user_id"))


@api.get("/directory/mine", answer=OrganisationList, errors=(401,), auth="bearer")
async def mine(call: Call[NoBody, NoQuery]) -> OrganisationList:
    """The organisations the caller is a confirmed representative of"""
    caller = (await call.principal()).user
    found = await call.services.directory.represented_by(caller)
    return OrganisationList([organisation_shown(o) for o in found])


@api.post(
    "/directory/imports",
    body=ImportFile,
    answer=ImportResult,
    status=201,
    also=(200,),
    errors=(400, 401, 403, 409, 413, 422),
    auth="bearer",
    description="A dry run answers 200 with the report and stores nothing; an import stores "
    "every row (201) or none (422 `import-refused`, with `rows`).",
)
async def import_file(call: Call[ImportFile, NoQuery]) -> Reply:
    """Import organisations from a CSV file, every row or none (administrators)"""
    caller = (await call.principal()).user
    outcome = await call.services.directory.import_file(
        caller,
        call.body.csv,
        dry_run=call.body.dry_run,
        address=call.address,
        locale=negotiate(call.request.headers.get("accept-language")),
    )
    report = outcome.report
    result = ImportResult(
        dry_run=outcome.dry_run,
        valid=report.valid,
        rows=len(report.rows),
        problems=report.errors,
        invalid_rows=[RowProblems(r.line, r.errors) for r in report.invalid_rows],
        created=[o.slug for o in outcome.created],
    )
    return Reply(result, status=200 if outcome.dry_run else 201)


@api.get("/directory/terms", answer=Terms)
async def terms(call: Call[NoBody, NoQuery]) -> Terms:
    """The kinds of organisation and the sectors, with their names in Bulgarian and English"""
    return Terms(
        [Term(t.slug, t.bg, t.en) for t in KINDS], [Term(t.slug, t.bg, t.en) for t in SECTORS]
    )


@api.get("/directory/regions", answer=Regions)
async def regions(call: Call[NoBody, NoQuery]) -> Regions:
    """The 28 oblasts and 265 municipalities, with their official names in both scripts"""
    return Regions(
        [Place(o.code, o.name, o.name_latin) for o in oblasts()],
        [Municipality(m.code, m.name, m.name_latin, m.oblast) for m in municipalities()],
    )


routes = api.routes
