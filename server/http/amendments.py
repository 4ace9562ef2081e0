"""`/api/v1/documents/{document}/forks|diff|merge|comments`: amendments and anchored comments.

An amendment is a fork of a document: a new document of the same room whose first update is
the base's whole state at fork time. It is co-edited on its own, diffed against the base, and
merged back by applying its changes since the fork (``encode_state(state vector at fork)``)
to the base as a server update: relayed to the base's connections and logged with origin
``merge``. Comments anchor to a range of a root Y.Text by two Yjs relative positions.
docs/amendments.md has the API, the diff format and the rules.

Every document is read as it is now: from memory when it is loaded (updates accepted and
not yet committed included), else from its log.
"""

from __future__ import annotations

import base64
import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crdt.document import Document
from crdt.errors import UpdateError
from crdt.positions import Assoc, TextPositions
from crdt.update_info import RootType, summarize_update
from server.accounts.service import Principal
from server.documents.admission import Refused
from server.documents.registry import DocumentFrozen
from server.http.bodies import json_object
from server.http.compat import client_address, unauthorized
from server.http.problems import Problem
from server.policy import Action, Decision, Reason, Role, decide
from server.policy import Refused as PolicyRefused
from server.rooms.service import RoomView, state_of
from storage.access import AccessStore
from storage.amendments import (
    AmendmentStore,
    StoredComment,
    StoredFork,
)
from storage.models import COMMENT_LENGTH, NAME_LENGTH, utc_now
from storage.rooms import StoredRoom

if TYPE_CHECKING:
    from server.services import Services

DEFAULT_ROOT = "content"
CONTEXT_LINES = 3  # of the unified diff
_ALLOWED = Decision(True, Reason.ALLOWED)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _not_found(name: str) -> Problem:
    return Problem(404, "document-not-found", "Document not found", f"no document named {name!r}")


def _invalid(parameter: str, detail: str) -> Problem:
    return Problem(422, "invalid-parameter", "Invalid parameter", detail, parameter=parameter)


@dataclass(frozen=True)
class Caller:
    """Who asks about one document, and what the policy lets them do with it."""

    name: str
    document_id: int
    principal: Principal | None
    room: StoredRoom | None  # None: a document outside rooms (VECHE_OPEN_DOCUMENTS)
    role: Role | None

    @property
    def user_id(self) -> int | None:
        return None if self.principal is None else self.principal.user.id

    @property
    def author(self) -> str | None:
        return None if self.principal is None else self.principal.user.name

    def decide(self, action: Action) -> Decision:
        if self.room is not None:
            return decide(self.role, self.principal is not None, action, state_of(self.room))
        # outside rooms anyone reads and writes (docs/access.md); a comment needs an author
        if action is Action.COMMENT and self.principal is None:
            return Decision(False, Reason.NOT_AUTHENTICATED)
        return _ALLOWED

    def require(self, *actions: Action) -> None:
        """Raise the problem of the first action the policy refuses."""
        for action in actions:
            decision = self.decide(action)
            if not decision.allowed:
                raise _refusal(self.name, decision)

    def view(self) -> RoomView:
        assert self.room is not None
        assert self.principal is not None
        return RoomView(self.room, self.role, self.principal.user)


def _refusal(name: str, decision: Decision) -> Problem:
    reason = decision.reason
    if reason is Reason.HIDDEN:  # a private room's document is as if unknown (docs/access.md)
        return _not_found(name)
    if reason is Reason.NOT_AUTHENTICATED:
        return unauthorized()
    if reason is Reason.ARCHIVED:
        return Problem(
            403, "room-archived", "Room archived", "the room is archived", reason=reason.value
        )
    return Problem(
        403, "forbidden", "Forbidden", "your role does not allow this", reason=reason.value
    )


async def _principal(request: Request) -> Principal | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip() or None if scheme.lower() == "bearer" else None
    try:
        return await _services(request).admission.authenticate(token)
    except Refused:
        raise unauthorized("the token is invalid, expired or revoked") from None


async def _caller(request: Request, name: str, principal: Principal | None) -> Caller:
    """The caller of ``name``, who may read it (else 404, 403): the rules of the `/yjs/`
    socket and the document API (server/documents/admission.py), from the same policy."""
    services = _services(request)
    place = await AccessStore(services.database).place_of(name)
    if place is None or (place.room is None and not services.settings.open_documents):
        raise _not_found(name)
    role = None
    if place.room is not None and principal is not None:
        found = await services.rooms.store.role_of(place.room.id, principal.user.id)
        role = None if found is None else Role(found)
    caller = Caller(name, place.document_id, principal, place.room, role)
    caller.require(Action.READ_DOCUMENT)
    return caller


async def _current(services: Services, name: str) -> tuple[Document, int]:
    return await services.forks.current(name)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _fork_json(fork: StoredFork) -> dict[str, Any]:
    merged = None
    if fork.merged_at is not None:
        merged = {"at": _iso(fork.merged_at), "by": fork.merged_by, "seq": fork.merged_seq}
    return {
        "document": fork.name,
        "base": fork.base_name,
        "base_seq": fork.base_seq,
        "base_state_vector": base64.b64encode(fork.base_state_vector).decode("ascii"),
        "created_by": fork.created_by,
        "created_at": _iso(fork.created_at),
        "merged": merged,
    }


async def _fork_of(services: Services, caller: Caller) -> StoredFork:
    fork = await AmendmentStore(services.database).fork(caller.document_id)
    if fork is None:
        raise Problem(
            409, "not-a-fork", "Not a fork", f"{caller.name!r} was not forked from a document"
        )
    return fork


# -- forks -------------------------------------------------------------------------------------


async def forks(request: Request) -> Response:
    if request.method == "POST":
        return await _create_fork(request)
    services = _services(request)
    name = request.path_params["document"]
    caller = await _caller(request, name, await _principal(request))
    listed = await AmendmentStore(services.database).forks_of(caller.document_id)
    return JSONResponse({"document": name, "forks": [_fork_json(f) for f in listed]})


async def _create_fork(request: Request) -> Response:
    services = _services(request)
    base = request.path_params["document"]
    body = await json_object(request)
    caller = await _caller(request, base, await _principal(request))
    if caller.room is None:
        raise Problem(
            422,
            "document-outside-rooms",
            "Document outside rooms",
            "a fork is made in its base's room, and this document belongs to none",
        )
    caller.require(Action.WRITE_DOCUMENT, Action.CREATE_DOCUMENT)
    address = client_address(request)
    name = body.get("name")
    if not isinstance(name, str):
        raise _invalid("name", "a document name is 1 to 255 printable characters, no / \\ ? # %")
    try:
        name = await services.rooms.create_document(caller.view(), name, address)
    except PolicyRefused as denied:
        raise _refusal(base, denied.decision) from None
    fork = await services.forks.fork(
        base, caller.document_id, name, author=caller.author, user_id=caller.user_id
    )
    await services.audit.record(
        "document.forked",
        actor_user_id=caller.user_id,
        room_id=caller.room.id,
        address=address,
        details={"document": name, "base": base, "base_seq": fork.base_seq},
    )
    return JSONResponse(_fork_json(fork), status_code=201)


# -- merge -------------------------------------------------------------------------------------


async def merge(request: Request) -> Response:
    services = _services(request)
    name = request.path_params["document"]
    principal = await _principal(request)
    caller = await _caller(request, name, principal)
    fork = await _fork_of(services, caller)
    base = await _caller(request, fork.base_name, principal)
    base.require(Action.WRITE_DOCUMENT)
    place = await services.admission.place_of(fork.base_name)
    if place is not None and place.frozen:
        raise Problem(409, "merge-refused", "Merge refused", "the base is frozen for a vote")
    try:
        fork, seq = await services.forks.merge(fork, author=base.author, user_id=base.user_id)
    except (UpdateError, DocumentFrozen) as exc:
        raise Problem(409, "merge-refused", "Merge refused", str(exc)) from None
    if seq is not None:
        await services.audit.record(
            "document.merged",
            actor_user_id=base.user_id,
            room_id=None if base.room is None else base.room.id,
            address=client_address(request),
            details={"document": name, "base": fork.base_name, "seq": seq},
        )
    return JSONResponse(
        {
            "document": name,
            "base": fork.base_name,
            "applied": seq is not None,
            "seq": seq,
            "fork": _fork_json(fork),
        }
    )


# -- diff --------------------------------------------------------------------------------------


def _text_roots(document: Document) -> dict[str, str]:
    roots = summarize_update(document.encode_state()).root_types
    return {name: document.text(name) for name, kind in roots.items() if kind is RootType.TEXT}


def _range(start: int, end: int) -> str:
    """A hunk range of a unified diff (as difflib and diff(1) write it)."""
    length = end - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def _unified(
    matcher: difflib.SequenceMatcher[str], a: list[str], b: list[str], names: tuple[str, str]
) -> str:
    out: list[str] = []

    def put(prefix: str, line: str) -> None:
        out.append(prefix + line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")

    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if not out:
            out.append(f"--- {names[0]}\n+++ {names[1]}\n")
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for line in a[i1:i2]:
                    put(" ", line)
                continue
            for line in a[i1:i2]:
                put("-", line)
            for line in b[j1:j2]:
                put("+", line)
    return "".join(out)


def text_diff(base: str, amendment: str, names: tuple[str, str]) -> dict[str, Any]:
    """A line diff: both texts, a unified diff and the changed runs of lines.

    Lines keep their line ends. ``changes`` lists each run that differs: ``op`` (insert,
    delete, replace), the 0-based half-open line ranges in both texts, and the text removed
    from the base and added by the amendment.
    """
    a, b = base.splitlines(keepends=True), amendment.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    changes = [
        {
            "op": tag,
            "base_lines": [i1, i2],
            "amendment_lines": [j1, j2],
            "removed": "".join(a[i1:i2]),
            "added": "".join(b[j1:j2]),
        }
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    return {
        "base": base,
        "amendment": amendment,
        "changed": base != amendment,
        "unified": _unified(matcher, a, b, names),
        "changes": changes,
    }


async def diff(request: Request) -> Response:
    services = _services(request)
    name = request.path_params["document"]
    against = request.query_params.get("against", "fork")
    if against not in ("fork", "base"):
        raise _invalid("against", f"against must be 'fork' or 'base', got {against!r}")
    principal = await _principal(request)
    caller = await _caller(request, name, principal)
    fork = await _fork_of(services, caller)
    if against == "fork":  # the base as it was forked: the fork's own first update
        seed = await AmendmentStore(services.database).seed(caller.document_id)
        base_document = services.forks.restored(None, [] if seed is None else [seed])
        base_seq = fork.base_seq
        base_texts = _text_roots(base_document)
    else:  # the base as it is now
        await _caller(request, fork.base_name, principal)
        base_document, base_seq = await _current(services, fork.base_name)
        base_texts = _text_roots(base_document)
    amendment, seq = await _current(services, name)
    amendment_texts = _text_roots(amendment)
    roots = {
        root: text_diff(
            base_texts.get(root, ""),
            amendment_texts.get(root, ""),
            (f"{fork.base_name}/{root}", f"{name}/{root}"),
        )
        for root in sorted(base_texts.keys() | amendment_texts.keys())
    }
    return JSONResponse(
        {
            "document": name,
            "base": fork.base_name,
            "against": against,
            "base_seq": base_seq,
            "seq": seq,
            "roots": roots,
        }
    )


# -- comments ----------------------------------------------------------------------------------


def _offset(body: dict[str, Any], field: str) -> int:
    value = body.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _invalid(field, f"{field} must be a non-negative integer (a code point offset)")
    return value


def _comment_json(
    comment: StoredComment, anchor: tuple[int, int] | None, text: str
) -> dict[str, Any]:
    author = None
    if comment.author is not None:
        author = {"name": comment.author, "display_name": comment.author_display_name}
    start, end = (None, None) if anchor is None else anchor
    return {
        "id": comment.id,
        "root": comment.root,
        "author": author,
        "body": comment.body,
        "created_at": _iso(comment.created_at),
        "start": start,
        "end": end,
        "text": text,
        "deleted": anchor is None or anchor[0] == anchor[1],
        "quote": comment.quote,
    }


async def comments(request: Request) -> Response:
    if request.method == "POST":
        return await _add_comment(request)
    services = _services(request)
    name = request.path_params["document"]
    caller = await _caller(request, name, await _principal(request))
    stored = await AmendmentStore(services.database).comments(caller.document_id)
    listed = []
    if stored:
        document, _ = await _current(services, name)
        positions = TextPositions(document)  # a copy: read before the next await
        for comment in stored:
            anchor = None
            if positions.is_text(comment.root):
                anchor = positions.resolve_range(
                    comment.root, comment.start_position, comment.end_position
                )
            text = "" if anchor is None else positions.text(comment.root)[anchor[0] : anchor[1]]
            listed.append(_comment_json(comment, anchor, text))
    return JSONResponse({"document": name, "comments": listed})


async def _add_comment(request: Request) -> Response:
    services = _services(request)
    name = request.path_params["document"]
    body = await json_object(request)
    caller = await _caller(request, name, await _principal(request))
    caller.require(Action.COMMENT)
    root = body.get("root", DEFAULT_ROOT)
    if not isinstance(root, str) or not 0 < len(root) <= NAME_LENGTH:
        raise _invalid("root", f"root must be the name of a Y.Text root (1 to {NAME_LENGTH})")
    text_body = body.get("body")
    if not isinstance(text_body, str) or not text_body.strip() or len(text_body) > COMMENT_LENGTH:
        raise _invalid("body", f"body must be a string of 1 to {COMMENT_LENGTH} characters")
    start, end = _offset(body, "start"), _offset(body, "end")
    document, _ = await _current(services, name)
    positions = TextPositions(document)  # a copy: read before the next await
    if not positions.is_text(root):
        raise _invalid("root", f"the root {root!r} is not a Y.Text")
    text = positions.text(root)
    if not start < end <= len(text):
        raise _invalid(
            "end", f"the range must satisfy start < end <= {len(text)} (the text's length)"
        )
    stored = await AmendmentStore(services.database).add_comment(
        caller.document_id,
        root=root,
        start_position=positions.position(root, start, Assoc.AFTER),
        end_position=positions.position(root, end, Assoc.BEFORE),
        quote=text[start:end],
        author_id=caller.user_id,
        body=text_body,
        created_at=utc_now(),
    )
    return JSONResponse(_comment_json(stored, (start, end), text[start:end]), status_code=201)
