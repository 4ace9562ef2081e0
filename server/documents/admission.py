"""Who may open a document, and whether a connection that is open may stay.

Both transports ask here: the `/yjs/` socket and the document HTTP API. A refusal is an
`AdmissionRefused` of the error kind its `Refusal` calls for, so server/http/errors.py maps it
to a problem, and the sockets map its `refusal` to a close code (`CLOSE_CODES`) with its
`reason`; the rules live in one place and the permissions themselves in `server/policy.py`.
docs/access.md has the table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime

from server.accounts import InvalidToken
from server.accounts.service import Principal, SignIn
from server.cached_reads import ReadMemory, gathered
from server.closecodes import CloseCode
from server.documents import DOCUMENT_NOT_FOUND, DocumentsError, NoSuchDocument
from server.documents.connection import Access
from server.errors import Denied, NotFound, Unauthenticated
from server.i18n import translatable
from server.policy import Action, Decision, Reason, Role, decide, refusal
from server.rooms.service import RoomView, state_of
from storage.access import AccessStore, DocumentPlace
from storage.models import utc_now
from storage.rooms import StoredRoom

N_ = translatable("problems")


class Refusal(enum.Enum):
    BAD_TOKEN = "bad_token"  # a token was given and is invalid, expired or revoked
    SIGN_IN_REQUIRED = "sign_in_required"  # anonymous, and the document is not public
    HIDDEN = "hidden"  # signed in, not a member of the private room: as if unknown
    UNKNOWN = "unknown"  # no such document (or outside rooms, when those are not served)
    FORBIDDEN = "forbidden"  # signed in and known, but the policy refuses


class AdmissionRefused(DocumentsError):
    """May not open the document or the live room: ``refusal`` says why. ``detail`` is the
    HTTP problem's, ``reason`` what a socket's close frame says. Make one with `refused`."""

    def __init__(self, refusal: Refusal, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.refusal = refusal
        self.reason = detail if reason is None else reason


class TokenRefused(AdmissionRefused, Unauthenticated):
    default_slug = "unauthorized"


class DocumentHidden(AdmissionRefused, NotFound):
    """Unknown, or in a private room the caller may not know of: as if unknown."""

    default_slug, title = DOCUMENT_NOT_FOUND, N_("Document not found")


class ReadRefused(AdmissionRefused, Denied):
    default_slug = "forbidden"


_KINDS: dict[Refusal, type[AdmissionRefused]] = {
    Refusal.BAD_TOKEN: TokenRefused,
    Refusal.SIGN_IN_REQUIRED: DocumentHidden,
    Refusal.HIDDEN: DocumentHidden,
    Refusal.UNKNOWN: DocumentHidden,
    Refusal.FORBIDDEN: ReadRefused,
}


def refused(refusal: Refusal, detail: str, *, reason: str | None = None) -> AdmissionRefused:
    """The error of a refusal, of the kind ``refusal`` calls for."""
    return _KINDS[refusal](refusal, detail, reason=reason)


@dataclass(frozen=True)
class Review:
    """What the periodic review decided for one open connection's access."""

    access: Access | None  # the access it keeps (perhaps changed), or None when refused
    refused: AdmissionRefused | None = None


@dataclass(frozen=True)
class DocumentCaller:
    """Who asks the document API about one document, and what the policy lets them do."""

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
        return Decision(True, Reason.ALLOWED)

    def require(self, *actions: Action) -> None:
        """Raise the refusal of the first action the policy refuses (a private room's
        document is as if unknown: NoSuchDocument)."""
        for action in actions:
            decision = self.decide(action)
            if decision.reason is Reason.HIDDEN:
                raise NoSuchDocument(self.name)
            if not decision.allowed:
                raise refusal(decision)

    def view(self) -> RoomView:
        assert self.room is not None
        assert self.principal is not None
        return RoomView(self.room, self.role, self.principal.user)


class Admission:
    """Admits connections to documents and reviews the ones that are open.

    ``open_documents``: documents outside rooms are served to anyone, read and write, and
    created on first use (a plain y-websocket server; for trials and benchmarks). Off, only
    documents created in a room through the API exist for the socket.
    """

    def __init__(
        self,
        sign_in: SignIn,
        store: AccessStore,
        *,
        open_documents: bool,
        clock: Callable[[], datetime] = utc_now,
        memory: ReadMemory | None = None,
    ) -> None:
        self._sign_in, self._store = sign_in, store
        self._open_documents = open_documents
        self._clock = clock
        self._memory = memory
        # where a document belongs and a member's role: asked by every connection, gathered
        # and kept briefly (server/cached_reads.py). The periodic review reads afresh.
        self._places = gathered(memory, store.places_of)
        self._roles = gathered(memory, store.roles)
        self._rooms = gathered(memory, store.rooms)
        self._rooms_by_slug = gathered(memory, store.rooms_by_slug)

    async def authenticate(self, token: str | None) -> Principal | None:
        """The principal of a token (None for no token); TokenRefused for a bad one."""
        if token is None:
            return None
        try:
            return await self._sign_in.authenticate(token)
        except InvalidToken as exc:
            detail = "the token is invalid, expired or revoked"
            raise refused(Refusal.BAD_TOKEN, detail, reason=f"{detail}: {exc}") from None

    async def place_of(self, name: str) -> DocumentPlace | None:
        """Where the document belongs and whether a vote froze it (storage.access)."""
        place = await self._places.get(name)
        if place is None:
            self._places.forget(name)  # it may be created any moment: not kept unknown
        return place

    async def role(self, room_id: int, user_id: int) -> str | None:
        """A member's role in a room, None for none (kept briefly, like every answer here)."""
        return await self._roles.get((room_id, user_id))

    async def room(self, room_id: int) -> StoredRoom | None:
        """The room with this id, None if there is none."""
        return await self._rooms.get(room_id)

    async def room_named(self, slug: str) -> StoredRoom | None:
        """The room with this slug, None if there is none (an unknown slug is not kept)."""
        room = await self._rooms_by_slug.get(slug)
        if room is None:
            self._rooms_by_slug.forget(slug)
        return room

    async def admit(self, name: str, token: str | None) -> Access:
        """The access of a caller with ``token`` to document ``name``; AdmissionRefused."""
        principal = await self.authenticate(token)
        place = await self.place_of(name)
        room = None if place is None else place.room
        unknown = f"no document named {name!r}"
        if place is None or room is None:
            if not self._open_documents:
                raise refused(Refusal.UNKNOWN, unknown)
            return _access(principal, can_write=True, room=None)
        try:
            access = await self.enter(principal, room)
        except DocumentHidden as hidden:  # the answer names the document, as for an unknown one
            raise refused(hidden.refusal, unknown, reason=hidden.reason) from None
        # a proposal's body is read-only for everyone once its vote opens
        return replace(
            access, can_write=access.can_write and not place.frozen, document_id=place.document_id
        )

    async def caller(self, name: str, principal: Principal | None) -> DocumentCaller:
        """The caller of document ``name`` for the document API, who may read it (else
        NoSuchDocument, or the policy's refusal): the rules of `admit`, from the same policy."""
        place = await self.place_of(name)
        if place is None or (place.room is None and not self._open_documents):
            raise NoSuchDocument(name)
        role = None
        if place.room is not None and principal is not None:
            found = await self.role(place.room.id, principal.user.id)
            role = None if found is None else Role(found)
        caller = DocumentCaller(name, place.document_id, principal, place.room, role)
        caller.require(Action.READ_DOCUMENT)
        return caller

    async def enter(self, principal: Principal | None, room: StoredRoom) -> Access:
        """The access of a caller to a room itself (its live room); AdmissionRefused."""
        role = None if principal is None else await self.role(room.id, principal.user.id)
        return self._decide(principal, room, role)

    async def review(self, accesses: Collection[Access]) -> dict[Access, Review]:
        """Decide again for connections that are open: credentials, roles and rooms may have
        changed. One query per kind for the whole collection."""
        now = self._clock()
        sessions = {a.session_id for a in accesses if a.session_id is not None}
        tokens = {a.api_token_id for a in accesses if a.api_token_id is not None}
        room_ids = {a.room_id for a in accesses if a.room_id is not None}
        pairs = {
            (a.room_id, a.user_id)
            for a in accesses
            if a.room_id is not None and a.user_id is not None
        }
        documents = {a.document_id for a in accesses if a.document_id is not None}
        frozen = await self._store.frozen(documents)
        live_sessions = await self._store.live_sessions(sessions, now)
        live_tokens = await self._store.live_api_tokens(tokens)
        rooms = await self._store.rooms(room_ids)
        roles = await self._store.roles(pairs)
        verdicts: dict[Access, Review] = {}
        for access in accesses:
            if (access.session_id is not None and access.session_id not in live_sessions) or (
                access.api_token_id is not None and access.api_token_id not in live_tokens
            ):
                revoked = refused(Refusal.BAD_TOKEN, "the token was revoked or has expired")
                verdicts[access] = Review(None, revoked)
                continue
            if access.room_id is None:
                verdicts[access] = Review(access)
                continue
            room = rooms.get(access.room_id)
            if room is None:
                verdicts[access] = Review(None, refused(Refusal.UNKNOWN, "the room is gone"))
                continue
            role = None if access.user_id is None else roles.get((room.id, access.user_id))
            try:
                can_write = self._decide_room(access.user_id is not None, room, role)
            except AdmissionRefused as refusal:
                verdicts[access] = Review(None, refusal)
                continue
            can_write = can_write and access.document_id not in frozen
            verdicts[access] = Review(replace(access, can_write=can_write))
        if self._memory is not None and any(
            verdict.access != access for access, verdict in verdicts.items()
        ):
            self._memory.forget()  # a change no event told of (the CLI, another process)
        return verdicts

    def _decide(self, principal: Principal | None, room: StoredRoom, role: str | None) -> Access:
        can_write = self._decide_room(principal is not None, room, role)
        return _access(principal, can_write=can_write, room=room)

    @staticmethod
    def _decide_room(authenticated: bool, room: StoredRoom, role: str | None) -> bool:
        """Whether the caller may write; AdmissionRefused when they may not even read."""
        state = state_of(room)
        member_role = None if role is None else Role(role)
        decision = decide(member_role, authenticated, Action.READ_DOCUMENT, state)
        if not decision.allowed:
            if decision.reason is Reason.HIDDEN:
                if not authenticated:
                    raise refused(Refusal.SIGN_IN_REQUIRED, "sign in to open this document")
                raise refused(Refusal.HIDDEN, "no such document")
            raise refused(Refusal.FORBIDDEN, "not allowed to read this document")
        return decide(member_role, authenticated, Action.WRITE_DOCUMENT, state).allowed


def _access(principal: Principal | None, *, can_write: bool, room: StoredRoom | None) -> Access:
    if principal is None:
        return Access(author=None, can_write=can_write, room_id=None if room is None else room.id)
    return Access(
        author=principal.user.name,
        can_write=can_write,
        user_id=principal.user.id,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        room_id=None if room is None else room.id,
    )


CLOSE_CODES: dict[Refusal, CloseCode] = {
    Refusal.BAD_TOKEN: CloseCode.UNAUTHENTICATED,
    Refusal.SIGN_IN_REQUIRED: CloseCode.UNAUTHENTICATED,
    Refusal.HIDDEN: CloseCode.UNKNOWN_DOCUMENT,
    Refusal.UNKNOWN: CloseCode.UNKNOWN_DOCUMENT,
    Refusal.FORBIDDEN: CloseCode.FORBIDDEN,
}
