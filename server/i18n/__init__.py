"""Server-side texts in Bulgarian and English: gettext catalogs, one per *domain* (area), and
the choice of locale for an answer. No Starlette here: domain packages mark their texts with it.

- ``negotiate(accept_language, preferred)`` — the locale of an answer (``catalogs.LOCALES``).
- ``translator(locale, domain)`` — a ``Translator`` (``gettext``, ``ngettext``, ``format``).
- ``translatable(domain)`` — the marker for texts translated later, where the locale is known:
  ``N_ = translatable("problems")`` once per module, then ``N_("Not found")``.

A module's texts belong to one domain, named as a string literal in its ``translatable(...)``
or ``translator(..., "domain")`` call: tests/server/test_i18n.py extracts the texts of each
module with Babel (``N_``, ``gettext``, ``ngettext``, ``format``) and fails when one is missing
from its domain's catalogs. docs/i18n.md says how to add a text, a domain or a language.
"""

from __future__ import annotations

from server.i18n.catalogs import (
    DEFAULT_LOCALE,
    DOMAINS,
    LOCALES,
    Translator,
    translatable,
    translator,
)
from server.i18n.negotiation import negotiate

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAINS",
    "LOCALES",
    "Translator",
    "negotiate",
    "translatable",
    "translator",
]
