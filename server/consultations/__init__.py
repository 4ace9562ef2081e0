"""Public consultations (issue 14; docs/consultations.md): a proposal published for comments
until a deadline, read by everyone, commented on by signed-in people (for themselves or for
an organisation they represent), answered comment by comment, and closed by a report that
enters the room's decision chain. Errors (kinds from ``server.errors``)::

    ConsultationsError             root
     ├── ConsultationNotFound      NotFound: no such consultation, proposal or comment
     ├── ConsultationConflict      Conflict: not in a state that allows it (closed, reported,
     │                             a proposal under a vote, comments without a response)
     ├── ConsultationDenied        Denied: the caller may not (owners open; moderators answer)
     └── InvalidConsultation       Invalid: a value that cannot be accepted; ``field`` names it
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.errors import Conflict, Denied, DomainError, Invalid, NotFound
from server.i18n import translatable

N_ = translatable("problems")


class ConsultationsError(DomainError):
    """Root of the errors of ``server.consultations``."""


class ConsultationNotFound(ConsultationsError, NotFound):
    title = N_("Consultation not found")

    def __init__(self, detail: str, values: Mapping[str, object] | None = None) -> None:
        super().__init__(detail, slug="consultation-not-found", values=values)


class ConsultationConflict(ConsultationsError, Conflict):
    def __init__(
        self, slug: str, detail: str, values: Mapping[str, object] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail, slug=slug, values=values, **extra)


class ConsultationDenied(ConsultationsError, Denied):
    def __init__(self, detail: str) -> None:
        super().__init__(detail, slug="consultation-forbidden")


class InvalidConsultation(ConsultationsError, Invalid):
    """A value that cannot be accepted; ``field`` names it."""
