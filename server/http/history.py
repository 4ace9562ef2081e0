"""`/api/v1/documents/{document}`: content at a version, and the list of versions."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.documents.admission import Refusal, Refused
from server.documents.isolation import CostlyWork
from server.documents.sandbox import SandboxError
from server.http.compat import unauthorized
from server.http.params import MAX_SEQ, int_param, optional_int_param
from server.http.problems import Problem
from storage.document_log import Version
from storage.errors import DocumentNotFound, InvalidCursor
from storage.history import decode_cursor

if TYPE_CHECKING:
    from server.services import Services

MAX_LIMIT = 200


def _not_found(name: str) -> Problem:
    return Problem(404, "document-not-found", "Document not found", f"no document named {name!r}")


async def _require_read(request: Request, name: str) -> None:
    """The caller may read the document (the same admission as the `/yjs/` socket), else
    401 for a bad token and 404 (a private room's document is as if unknown), 403."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip() or None if scheme.lower() == "bearer" else None
    services: Services = request.app.state.services
    try:
        await services.admission.admit(name, token)
    except Refused as refused:
        if refused.refusal is Refusal.BAD_TOKEN:
            raise unauthorized("the token is invalid, expired or revoked") from None
        if refused.refusal is Refusal.FORBIDDEN:
            raise Problem(403, "forbidden", "Forbidden", refused.detail) from None
        raise _not_found(name) from None


def _version(v: Version) -> dict[str, Any]:
    return {
        "author": v.author,
        "first_seq": v.first_seq,
        "last_seq": v.last_seq,
        "updates": v.count,
        "first_at": v.first_at.isoformat(),
        "last_at": v.last_at.isoformat(),
        "client_ids": v.client_ids,
    }


async def document_history(request: Request) -> Response:
    services: Services = request.app.state.services
    name = request.path_params["document"]
    limit = int_param(request, "limit", 50, 1, MAX_LIMIT)
    pause = int_param(request, "pause", 60, 0, 7 * 24 * 3600)
    order = request.query_params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise Problem(
            422,
            "invalid-parameter",
            "Invalid parameter",
            f"order must be 'asc' or 'desc', got {order!r}",
            parameter="order",
        )
    cursor = request.query_params.get("cursor")
    await _require_read(request, name)
    stored = await services.log.find_document(name)
    if stored is None:
        raise _not_found(name)
    try:
        # storage's decoder takes any number of digits; past 64 bits SQL would fail (500)
        if cursor is not None and decode_cursor(cursor, order == "desc") > MAX_SEQ:
            raise InvalidCursor("the cursor is not one this API issued")
        page = await services.log.history(
            stored.id,
            cursor=cursor,
            limit=limit,
            pause=timedelta(seconds=pause),
            newest_first=order == "desc",
        )
    except InvalidCursor as exc:
        raise Problem(
            422, "invalid-parameter", "Invalid parameter", str(exc), parameter="cursor"
        ) from None
    return JSONResponse(
        {
            "document": name,
            "versions": [_version(v) for v in page.versions],
            "next_cursor": page.next_cursor,
        }
    )


async def document_content(request: Request) -> Response:
    services: Services = request.app.state.services
    name = request.path_params["document"]
    at = optional_int_param(request, "at", 0, MAX_SEQ)
    await _require_read(request, name)
    try:
        state = await services.log.load(name, upto_seq=at)
    except DocumentNotFound:
        raise _not_found(name) from None
    last = await services.log.last_seq(state.document.id)
    if at is not None and at > last:
        raise Problem(
            422,
            "invalid-parameter",
            "Invalid parameter",
            f"at must be at most {last}, the document's last version",
            parameter="at",
        )
    parts = [state.checkpoint] if state.checkpoint is not None else []
    try:
        materialized = await services.documents.loader.materialize([*parts, *state.updates])
    except (CostlyWork, SandboxError) as exc:
        raise Problem(503, "document-too-costly", "Document too costly to load", str(exc)) from None
    document = materialized.document
    return JSONResponse(
        {
            "document": name,
            "seq": state.last_seq if at is None else at,
            "latest_seq": last,
            "content": document.render(),
        }
    )
