"""Message catalogs: one gettext `.po` file per locale and domain, compiled in memory.

The `.po` files are the only form kept in the repository (`locales/<locale>/LC_MESSAGES/
<domain>.po`): they are read with Babel and compiled to the MO format in memory on first use,
once per process and (locale, domain), so there is no build step and no generated file to
forget. A domain is one area's texts (`problems`: the HTTP edge's problem details), so people
working on different areas never edit the same catalog. msgids are the English texts, so an
English catalog may leave a msgstr empty and the msgid is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("bg", "en")
DEFAULT_LOCALE = "bg"  # the product's home language
DOMAINS = (
    "problems",
    "consultations",
    "outreach",
    "previews",
    "directory",
)  # a new domain: add its name here and its two .po files


def catalog_file(locale: str, domain: str) -> Traversable:
    """Where the `.po` catalog of ``domain`` in ``locale`` lives (inside this package)."""
    return resources.files(__package__) / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(locale: str, domain: str) -> Catalog:
    """The parsed `.po` catalog (the tests read it too: translations, placeholders)."""
    with catalog_file(locale, domain).open("rb") as po:
        return read_po(po, locale=locale, domain=domain)


def supported_locale(tag: str) -> str | None:
    """The locale of ours a language tag asks for (`bg-BG`, `en_GB`, `EN` → en), or None."""
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LOCALES else None


class Translator:
    """The texts of one domain in one locale. A msgid the catalog lacks is returned as it is,
    so an untranslated text shows in English rather than failing."""

    def __init__(self, locale: str, domain: str, translations: Translations) -> None:
        self.locale, self.domain = locale, domain
        self._translations = translations

    def gettext(self, msgid: str) -> str:
        # gettext("") is the catalog's header, never a text: an empty detail stays empty
        return self._translations.gettext(msgid) if msgid else msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form for ``n`` by the locale's plural rule (the `Plural-Forms` header)."""
        if not singular:
            return singular if n == 1 else plural
        return self._translations.ngettext(singular, plural, n)

    def format(self, msgid: str, **values: object) -> str:
        """The translation with its `{placeholders}` filled from ``values``."""
        return self.gettext(msgid).format(**values)

    def __repr__(self) -> str:
        return f"Translator({self.locale!r}, {self.domain!r})"


def translator(locale: str, domain: str) -> Translator:
    """The texts of ``domain`` in ``locale``; an unknown locale gets the default one's.

    Raises:
        ValueError: ``domain`` is not one of ``DOMAINS`` (a mistake in the code, not input).
    """
    _check_domain(domain)
    return _translator(supported_locale(locale) or DEFAULT_LOCALE, domain)


def translatable(domain: str) -> Callable[[str], str]:
    """A marker for texts of ``domain`` that are translated later, where the locale is known:
    `N_ = translatable("problems")` at the top of a module, then `title = N_("Not found")`.
    It returns the text unchanged; the tests find the marked texts (docs/i18n.md).

    Raises:
        ValueError: ``domain`` is not one of ``DOMAINS``.
    """
    _check_domain(domain)
    return _unchanged


def _unchanged(msgid: str) -> str:
    return msgid


def _check_domain(domain: str) -> None:
    if domain not in DOMAINS:
        raise ValueError(f"unknown catalog domain {domain!r}; the domains are {DOMAINS}")


@cache
def _translator(locale: str, domain: str) -> Translator:
    """Compiled once per (locale, domain): there are two locales and a few domains."""
    compiled = BytesIO()
    write_mo(compiled, read_catalog(locale, domain))  # skips empty and fuzzy msgstrs
    compiled.seek(0)
    return Translator(locale, domain, Translations(compiled, domain=domain))
