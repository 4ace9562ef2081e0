"""`/api/v1/documents/{document}/forks|diff|merge|comments`: amendments and anchored comments
(docs/amendments.md). The work is the domain's: server/documents/amendments.py (forks, diffs,
merges) and server/documents/comments.py; here only transport.

Whoever may read the document (the rules of the `/yjs/` socket) reads these; a private
room's document is 404 `document-not-found` as an unknown one.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

import msgspec

from server.documents.admission import DocumentCaller
from server.documents.comments import DEFAULT_ROOT, AnchoredComment
from server.documents.diffs import TextDiff
from server.http.endpoint import Api, Call, NoBody, NoQuery
from server.http.types import OptionalTime, Person, Time, iso, optional_iso
from server.rooms.commands import NewDocument
from storage.amendments import StoredFork
from storage.models import COMMENT_LENGTH, NAME_LENGTH

api = Api("documents")


class Merge(msgspec.Struct):
    at: OptionalTime
    by: str | None
    seq: int | None


class DocumentFork(msgspec.Struct):
    document: str
    base: str
    base_seq: int
    base_state_vector: Annotated[str, msgspec.Meta(description="base64")]
    created_by: str | None
    created_at: OptionalTime
    merged: Merge | None


class DocumentForks(msgspec.Struct):
    document: str
    forks: list[DocumentFork]


class MergeOutcome(msgspec.Struct):
    document: str
    base: str
    applied: bool
    seq: int | None
    fork: DocumentFork


class DocumentDiff(msgspec.Struct):
    document: str
    base: str
    against: Literal["fork", "base"]
    base_seq: int
    seq: int
    roots: dict[str, TextDiff]


class DiffQuery(msgspec.Struct):
    against: Literal["fork", "base"] = "fork"


Offset = Annotated[int, msgspec.Meta(ge=0, description="a code point offset")]


class NewComment(msgspec.Struct):
    start: Offset
    end: Offset
    body: Annotated[str, msgspec.Meta(max_length=COMMENT_LENGTH, pattern=r"\S")]
    root: Annotated[
        str, msgspec.Meta(min_length=1, max_length=NAME_LENGTH, description="a Y.Text root")
    ] = DEFAULT_ROOT


class DocumentComment(msgspec.Struct):
    id: int
    root: str
    author: Person | None
    body: str
    created_at: Time
    start: int | None
    end: int | None
    text: str
    deleted: bool
    quote: str


class DocumentComments(msgspec.Struct):
    document: str
    comments: list[DocumentComment]


async def _caller(call: Call[Any, Any]) -> DocumentCaller:
    admission = call.services.admission
    principal = await admission.authenticate(call.token())
    return await admission.caller(call.path("document"), principal)


def _fork_shown(fork: StoredFork) -> DocumentFork:
    merged = None
    if fork.merged_at is not None:
        merged = Merge(optional_iso(fork.merged_at), fork.merged_by, fork.merged_seq)
    return DocumentFork(
        fork.name,
        fork.base_name,
        fork.base_seq,
        base64.b64encode(fork.base_state_vector).decode("ascii"),
        fork.created_by,
        optional_iso(fork.created_at),
        merged,
    )


def _comment_shown(anchored: AnchoredComment) -> DocumentComment:
    comment = anchored.comment
    author = None
    if comment.author is not None and comment.author_display_name is not None:
        author = Person(comment.author, comment.author_display_name)
    start, end = (None, None) if anchored.anchor is None else anchored.anchor
    return DocumentComment(
        comment.id,
        comment.root,
        author,
        comment.body,
        iso(comment.created_at),
        start,
        end,
        anchored.text,
        anchored.deleted,
        comment.quote,
    )


@api.get(
    "/documents/{document}/forks",
    answer=DocumentForks,
    errors=(401, 403, 404),
    auth="optional",
)
async def document_forks(call: Call[NoBody, NoQuery]) -> DocumentForks:
    """The document's forks (amendments), oldest first"""
    caller = await _caller(call)
    listed = await call.services.amendments.forks_of(caller)
    return DocumentForks(caller.name, [_fork_shown(f) for f in listed])


@api.post(
    "/documents/{document}/forks",
    body=NewDocument,
    answer=DocumentFork,
    status=201,
    errors=(401, 403, 404, 409, 422),
    auth="bearer",
)
async def fork_document(call: Call[NewDocument, NoQuery]) -> DocumentFork:
    """Fork the document: a new document of its room seeded with it as it is now"""
    caller = await _caller(call)
    fork = await call.services.amendments.fork(caller, call.body.name, call.address)
    return _fork_shown(fork)


@api.post(
    "/documents/{document}/merge",
    answer=MergeOutcome,
    errors=(401, 403, 404, 409),
    auth="bearer",
)
async def merge_fork(call: Call[NoBody, NoQuery]) -> MergeOutcome:
    """Merge a fork into its base: apply its changes since the fork"""
    caller = await _caller(call)
    fork, seq = await call.services.amendments.merge(caller, call.address)
    return MergeOutcome(caller.name, fork.base_name, seq is not None, seq, _fork_shown(fork))


@api.get(
    "/documents/{document}/diff",
    query=DiffQuery,
    answer=DocumentDiff,
    errors=(401, 403, 404, 409, 422),
    auth="optional",
)
async def fork_diff(call: Call[NoBody, DiffQuery]) -> DocumentDiff:
    """A fork's text roots against its base as forked (`fork`) or as it is now (`base`)"""
    caller = await _caller(call)
    found = await call.services.amendments.diff(caller, call.query.against)
    return DocumentDiff(
        found.name, found.base, found.against, found.base_seq, found.seq, found.roots
    )


@api.get(
    "/documents/{document}/comments",
    answer=DocumentComments,
    errors=(401, 403, 404),
    auth="optional",
)
async def document_comments(call: Call[NoBody, NoQuery]) -> DocumentComments:
    """The document's anchored comments, where their ranges are now"""
    caller = await _caller(call)
    listed = await call.services.comments.listed(caller)
    return DocumentComments(caller.name, [_comment_shown(c) for c in listed])


@api.post(
    "/documents/{document}/comments",
    body=NewComment,
    answer=DocumentComment,
    status=201,
    errors=(401, 403, 404, 422),
    auth="bearer",
)
async def comment_document(call: Call[NewComment, NoQuery]) -> DocumentComment:
    """Comment on a range of a Y.Text root (code points `start` to `end`)"""
    caller = await _caller(call)
    body = call.body
    added = await call.services.comments.add(
        caller, root=body.root, start=body.start, end=body.end, body=body.body
    )
    return _comment_shown(added)


routes = api.routes
