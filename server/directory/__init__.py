"""The directory of civil-society organisations (issue 14): reference data (oblasts and
municipalities), the official transliteration used to find names in either script, the check
of registration numbers (ЕИК/БУЛСТАТ), and the service over stored organisations
(``service.py``). Errors (kinds from ``server.errors``)::

    DirectoryError                 root
     ├── OrganisationNotFound      NotFound: no organisation with this slug
     ├── RepresentativeNotFound    NotFound: the user neither represents nor asked to
     ├── DirectoryConflict         Conflict: a registration number already in the directory
     ├── ImportRefused             Invalid: a CSV file with invalid rows (``report`` lists them)
     └── InvalidOrganisation       Invalid: a value that cannot be accepted; ``field`` names it

The policy's refusals (only administrators verify and import; only representatives and
administrators edit) are ``DirectoryDenied``.
"""

from __future__ import annotations

from typing import Any

from server.errors import Conflict, Denied, DomainError, Invalid, NotFound
from server.i18n import translatable

N_ = translatable("problems")


class DirectoryError(DomainError):
    """Root of the errors of ``server.directory``."""


class OrganisationNotFound(DirectoryError, NotFound):
    title = N_("Organisation not found")

    def __init__(self, slug: str) -> None:
        super().__init__(
            N_("there is no organisation {slug}"),
            slug="organisation-not-found",
            values={"slug": slug},
        )


class RepresentativeNotFound(DirectoryError, NotFound):
    title = N_("Representative not found")

    def __init__(self) -> None:
        super().__init__(
            N_("the user neither represents the organisation nor asked to"),
            slug="representative-not-found",
        )


class DirectoryConflict(DirectoryError, Conflict):
    def __init__(self, number: str) -> None:
        super().__init__(
            N_("an organisation with registration number {number} is already in the directory"),
            slug="registration-number-taken",
            values={"number": number},
            registration_number=number,
        )


class DirectoryDenied(DirectoryError, Denied):
    def __init__(self, detail: str, values: dict[str, object] | None = None) -> None:
        super().__init__(detail, slug="directory-forbidden", values=values)


class InvalidOrganisation(DirectoryError, Invalid):
    """A value that cannot be accepted; ``field`` names it."""


class ImportRefused(DirectoryError, Invalid):
    """A CSV file that is not stored: ``problems`` has the file's own problems and ``rows``
    each invalid row's line and problems."""

    def __init__(self, problems: list[str], rows: list[dict[str, Any]]) -> None:
        detail = "; ".join(problems) if problems else f"{len(rows)} rows are invalid"
        super().__init__("file", f"nothing was imported: {detail}", slug="import-refused")
        self.extra.update(problems=problems, rows=rows)
