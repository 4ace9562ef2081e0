"""`/api/v1/documents/{document}`: content at a version, and the list of versions.

Readable by whoever may open the document on the `/yjs/` socket (server/documents/admission.py):
a bad token is 401, a private room's document is 404 as an unknown one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import msgspec

from server.documents.versions import MAX_SEQ
from server.http.endpoint import Api, Call, NoBody
from server.http.types import Time, given, iso
from storage.history import Version

MAX_LIMIT = 200
MAX_PAUSE = 7 * 24 * 3600
api = Api("documents")


class DocumentVersion(msgspec.Struct):
    author: str | None
    first_seq: int
    last_seq: int
    updates: int
    first_at: Time
    last_at: Time
    client_ids: list[int]


class DocumentHistory(msgspec.Struct):
    document: str
    versions: list[DocumentVersion]
    next_cursor: str | None


class HistoryQuery(msgspec.Struct):
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 50
    pause: Annotated[
        int, msgspec.Meta(ge=0, le=MAX_PAUSE, description="seconds that end a version")
    ] = 60
    order: Literal["asc", "desc"] = "desc"
    cursor: str | msgspec.UnsetType = msgspec.UNSET


class DocumentContent(msgspec.Struct):
    document: str
    seq: int
    latest_seq: int
    content: dict[str, Any]


class ContentQuery(msgspec.Struct):
    at: Annotated[int, msgspec.Meta(ge=0, le=MAX_SEQ)] | msgspec.UnsetType = msgspec.UNSET


def _version(v: Version) -> DocumentVersion:
    return DocumentVersion(
        v.author, v.first_seq, v.last_seq, v.count, iso(v.first_at), iso(v.last_at), v.client_ids
    )


@api.get(
    "/documents/{document}/history",
    query=HistoryQuery,
    answer=DocumentHistory,
    errors=(401, 403, 404, 422),
    auth="optional",
)
async def document_history(call: Call[NoBody, HistoryQuery]) -> DocumentHistory:
    """A document's versions: runs of updates by one author, newest first by default"""
    name, query = call.path("document"), call.query
    await call.services.admission.admit(name, call.token())
    page = await call.services.versions.history(
        name,
        cursor=given(query.cursor),
        limit=query.limit,
        pause=timedelta(seconds=query.pause),
        newest_first=query.order == "desc",
    )
    return DocumentHistory(name, [_version(v) for v in page.versions], page.next_cursor)


@api.get(
    "/documents/{document}",
    query=ContentQuery,
    answer=DocumentContent,
    errors=(401, 403, 404, 422, 503),
    auth="optional",
)
async def document_content(call: Call[NoBody, ContentQuery]) -> DocumentContent:
    """A document's content at version `at` (the last when absent)"""
    name = call.path("document")
    await call.services.admission.admit(name, call.token())
    content = await call.services.versions.content(name, given(call.query.at))
    return DocumentContent(name, content.seq, content.latest_seq, content.roots)


routes = api.routes
