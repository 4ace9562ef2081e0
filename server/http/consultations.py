"""`/api/v1/consultations/*` and opening one on a proposal (docs/consultations.md).

A consultation is public: its text, comments and report are read by anonymous callers too,
whatever the room's visibility. Commenting needs a bearer token; opening, answering and
publishing need the room's owners or moderators.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from server.consultations import ConsultationConflict, ConsultationNotFound
from server.consultations.commands import CommentResponse, NewConsultation, NewConsultationComment
from server.consultations.report import PlacedComment, csv_text, html_page, markdown
from server.http.endpoint import Api, Call, NoBody, NoQuery
from server.http.types import OptionalTime, Time, iso, optional_iso
from server.i18n import negotiate, translatable
from server.rooms.service import RoomView
from storage.consultations import StoredConsultation

N_ = translatable("problems")
api = Api("consultations")
CONSULTATION = "/consultations/{consultation_id}"
IDS = ("consultation_id",)


class ProposalRef(msgspec.Struct):
    id: int
    title: str


class Consultation(msgspec.Struct):
    id: int
    room: str
    proposal: ProposalRef
    state: str
    opened_at: Time
    closes_at: Time
    reason: str | None
    oblast: str | None
    sectors: list[str]
    closed_at: OptionalTime
    reported_at: OptionalTime
    report_sha256: str | None
    decision_position: int | None


class ConsultationText(Consultation):
    text: str
    seq: int


class ConsultationList(msgspec.Struct):
    consultations: list[Consultation]


class ListQuery(msgspec.Struct):
    state: Literal["open", "closed", "reported"] = "open"
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class Comment(msgspec.Struct):
    id: int
    start: int | None  # where its passage is in the text now; None once deleted
    end: int | None
    quote: str  # the passage when the comment was made
    body: str
    author: str | None
    author_display_name: str | None
    organisation: str | None
    organisation_name: str | None
    created_at: Time
    response: str | None
    reason: str | None
    responded_at: OptionalTime


class CommentList(msgspec.Struct):
    comments: list[Comment]


class ReportQuery(msgspec.Struct):
    format: Literal["json", "md", "csv", "html"] = "json"


async def _shown(call: Call[Any, Any], found: StoredConsultation) -> Consultation:
    proposal = await call.services.consultations.proposal(found)
    return Consultation(**await _fields(call, found, proposal.title))


async def _fields(call: Call[Any, Any], found: StoredConsultation, title: str) -> dict[str, Any]:
    return {
        "id": found.id,
        "room": await call.services.consultations.room_slug(found),
        "proposal": ProposalRef(found.proposal_id, title),
        "state": found.state,
        "opened_at": iso(found.opened_at),
        "closes_at": iso(found.closes_at),
        "reason": found.reason,
        "oblast": found.oblast,
        "sectors": found.sectors,
        "closed_at": optional_iso(found.closed_at),
        "reported_at": optional_iso(found.reported_at),
        "report_sha256": found.report_sha256,
        "decision_position": found.decision_position,
    }


def _comment(placed: PlacedComment) -> Comment:
    c, anchor = placed.comment, placed.anchor
    return Comment(
        c.id,
        None if anchor is None else anchor[0],
        None if anchor is None else anchor[1],
        c.quote,
        c.body,
        c.author,
        c.author_display_name,
        c.organisation,
        c.organisation_name,
        iso(c.created_at),
        c.response,
        c.reason,
        optional_iso(c.responded_at),
    )


async def _consultation(call: Call[Any, Any]) -> StoredConsultation:
    return await call.services.consultations.get(call.path_id("consultation_id"))


async def _room(call: Call[Any, Any], found: StoredConsultation) -> RoomView:
    slug = await call.services.consultations.room_slug(found)
    return await call.services.rooms.view(slug, await call.caller())


@api.post(
    "/rooms/{slug}/proposals/{proposal_id}/consultation",
    body=NewConsultation,
    answer=Consultation,
    status=201,
    errors=(400, 401, 403, 404, 409, 422),
    auth="bearer",
    ids=("proposal_id",),
)
async def open_consultation(call: Call[NewConsultation, NoQuery]) -> Consultation:
    """Publish a proposal for public consultation until a deadline (owners)"""
    view = await call.room()
    proposal = await call.services.decisions.proposals.get(view, call.path_id("proposal_id"))
    found = await call.services.consultations.open(view, proposal, call.body, call.address)
    return await _shown(call, found)


@api.get(
    "/rooms/{slug}/proposals/{proposal_id}/consultation",
    answer=Consultation,
    errors=(401, 404),
    auth="optional",
    ids=("proposal_id",),
)
async def proposal_consultation(call: Call[NoBody, NoQuery]) -> Consultation:
    """The proposal's consultation (404 when it has none)"""
    view = await call.room()
    proposal = await call.services.decisions.proposals.get(view, call.path_id("proposal_id"))
    found = await call.services.consultations.of_proposal(proposal)
    if found is None:
        raise ConsultationNotFound(N_("the proposal has no consultation"))
    return await _shown(call, found)


@api.get("/consultations", query=ListQuery, answer=ConsultationList, errors=(422,))
async def consultations(call: Call[NoBody, ListQuery]) -> ConsultationList:
    """Consultations in a state (open by default), the soonest deadline first"""
    found = await call.services.consultations.store.listed(
        states=(call.query.state,), limit=call.query.limit
    )
    return ConsultationList([await _shown(call, c) for c in found])


@api.get(CONSULTATION, answer=ConsultationText, errors=(404,), ids=IDS)
async def consultation(call: Call[NoBody, NoQuery]) -> ConsultationText:
    """A consultation with its text as it is now"""
    found = await _consultation(call)
    proposal = await call.services.consultations.proposal(found)
    current = await call.services.consultations.text(found)
    fields = await _fields(call, found, proposal.title)
    return ConsultationText(**fields, text=current.text, seq=current.seq)


@api.get(CONSULTATION + "/comments", answer=CommentList, errors=(404,), ids=IDS)
async def comments(call: Call[NoBody, NoQuery]) -> CommentList:
    """Its comments, oldest first, each anchored in the text as it is now"""
    placed = await call.services.consultations.placed_comments(await _consultation(call))
    return CommentList([_comment(p) for p in placed])


@api.post(
    CONSULTATION + "/comments",
    body=NewConsultationComment,
    answer=Comment,
    status=201,
    errors=(400, 401, 403, 404, 409, 422),
    auth="bearer",
    ids=IDS,
)
async def comment(call: Call[NewConsultationComment, NoQuery]) -> Comment:
    """Comment on a passage, for yourself or an organisation you represent (while open)"""
    caller = (await call.principal()).user
    placed = await call.services.consultations.comment(
        caller, await _consultation(call), call.body, call.address
    )
    return _comment(placed)


@api.put(
    CONSULTATION + "/comments/{comment_id}/response",
    body=CommentResponse,
    answer=Comment,
    errors=(400, 401, 403, 404, 409, 422),
    auth="bearer",
    ids=("consultation_id", "comment_id"),
)
async def respond(call: Call[CommentResponse, NoQuery]) -> Comment:
    """Answer a comment: accepted, partly accepted or not accepted, with the reason"""
    found = await _consultation(call)
    answered = await call.services.consultations.respond(
        await _room(call, found), found, call.path_id("comment_id"), call.body, call.address
    )
    return _comment(PlacedComment(answered, None))


@api.post(
    CONSULTATION + "/report",
    answer=Consultation,
    status=201,
    errors=(401, 403, 404, 409),
    auth="bearer",
    ids=IDS,
)
async def publish(call: Call[NoBody, NoQuery]) -> Consultation:
    """Publish the report (every comment answered); it enters the room's decision chain"""
    found = await _consultation(call)
    published = await call.services.consultations.publish(
        await _room(call, found), found, call.address
    )
    return await _shown(call, published)


@api.get(
    CONSULTATION + "/report",
    query=ReportQuery,
    answer=dict[str, Any],
    errors=(404, 409, 422),
    ids=IDS,
    media=("text/markdown", "text/csv", "text/html"),
    description="`format=md|csv|html` answers Markdown, CSV or a printable page, in the "
    "language of `Accept-Language`",
)
async def report(call: Call[NoBody, ReportQuery]) -> dict[str, Any] | Response:
    """The published report: the record in the decision chain, or a rendering of it"""
    found = await _consultation(call)
    if found.report_json is None or found.report_sha256 is None:
        raise ConsultationConflict("report-unpublished", "the report is not published yet")
    record: dict[str, Any] = msgspec.json.decode(found.report_json)
    sha = found.report_sha256
    locale = negotiate(call.request.headers.get("accept-language"))
    language = {"Content-Language": locale}
    if call.query.format == "md":
        text = markdown(record, sha, locale)
        return PlainTextResponse(text, media_type="text/markdown", headers=language)
    if call.query.format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="consultation-{found.id}.csv"'}
        return Response(
            csv_text(record).encode(), media_type="text/csv; charset=utf-8", headers=headers
        )
    if call.query.format == "html":
        page = html_page(record, sha, locale, url=str(call.request.url))
        return HTMLResponse(page, headers=language)
    return {**record, "sha256": sha}


routes = api.routes
