"""Live documents: connections, relaying, persistence and the document lifecycle; their
versions, amendments (forks, diffs, merges) and anchored comments.

Errors (kinds from ``server.errors``)::

    DocumentsError             root
     ├── NoSuchDocument        NotFound: no such document, or one the caller may not know of
     ├── AdmissionRefused      may not open the document (server/documents/admission.py):
     │    ├── TokenRefused     Unauthenticated: an invalid, expired or revoked token
     │    ├── DocumentHidden   NotFound: unknown, or in a private room the caller is not in
     │    └── ReadRefused      Denied: known, and the policy refuses
     ├── NotAFork              Conflict: the document was not forked from another
     ├── MergeRefused          Conflict: the base is frozen, or refused the changes
     ├── DocumentOutsideRooms  Invalid: a fork is made in a room, and the base is in none
     ├── InvalidDocumentInput  Invalid: a value that cannot be accepted; ``field`` names it
     └── DocumentTooCostly     Unavailable: loading it would cost more than allowed

(``NoSuchDocument`` and not ``DocumentNotFound``: that one is storage's.) The policy's
refusals are ``server.policy.PolicyRefusal`` (``decision.reason`` says why).
"""

from __future__ import annotations

from server.errors import Conflict, DomainError, Invalid, NotFound, Unavailable
from server.i18n import translatable

N_ = translatable("problems")
DOCUMENT_NOT_FOUND = "document-not-found"


class DocumentsError(DomainError):
    """Root of the errors of ``server.documents``."""


class NoSuchDocument(DocumentsError, NotFound):
    """No document by that name, or one in a private room the caller may not know of."""

    title = N_("Document not found")

    def __init__(self, name: str) -> None:
        super().__init__(f"no document named {name!r}", slug=DOCUMENT_NOT_FOUND)


class NotAFork(DocumentsError, Conflict):
    title = N_("Not a fork")

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} was not forked from a document", slug="not-a-fork")


class MergeRefused(DocumentsError, Conflict):
    title = N_("Merge refused")

    def __init__(self, detail: str) -> None:
        super().__init__(detail, slug="merge-refused")


class DocumentOutsideRooms(DocumentsError, Invalid):
    """A fork is made in its base's room, and this document belongs to none."""

    title = N_("Document outside rooms")

    def __init__(self) -> None:
        detail = "a fork is made in its base's room, and this document belongs to none"
        DomainError.__init__(self, detail, slug="document-outside-rooms")  # no `parameter`
        self.field = "document"


class InvalidDocumentInput(DocumentsError, Invalid):
    """A value that cannot be accepted; ``field`` names it."""


class DocumentTooCostly(DocumentsError, Unavailable):
    """Loading the document (replaying its updates) would cost more than allowed."""

    title = N_("Document too costly to load")

    def __init__(self, detail: str) -> None:
        super().__init__(detail, slug="document-too-costly")
