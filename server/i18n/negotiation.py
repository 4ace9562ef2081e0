"""Choosing the locale of an answer: the signed-in user's stored choice, else the best language
of the request's `Accept-Language` we have, else the default (Bulgarian).

The header is parsed here rather than with Babel's `Locale.negotiate`, which takes a list
already in order of preference and would leave the q-values, `*` and `q=0` to us anyway. The
header is client input: only its first `MAX_HEADER` characters and `MAX_RANGES` ranges are
read, and anything that is not a language range (`en-GB`, `*`) with an optional valid q-value
(RFC 9110 §12.4.2) is skipped, never an error.
"""

from __future__ import annotations

import re

from server.i18n.catalogs import DEFAULT_LOCALE, LOCALES, supported_locale

MAX_HEADER = 512  # characters; browsers send well under 100
MAX_RANGES = 16
_RANGE = re.compile(r"\*|[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
_BY_PREFERENCE = (DEFAULT_LOCALE, *(locale for locale in LOCALES if locale != DEFAULT_LOCALE))


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The locale for an answer: ``preferred`` (a user's stored `locale`) if it is one of
    ours, else the best of ``accept_language`` by q-value (ties in the header's order), else
    `DEFAULT_LOCALE` (or the other locale, when the header refuses the default with `q=0`). A
    region is ignored (`bg-BG` is bg); `*` stands for any locale the header does not refuse."""
    if preferred and (chosen := supported_locale(preferred)):
        return chosen
    if not accept_language:
        return DEFAULT_LOCALE
    ranges = _ranges(accept_language)
    refused = {supported_locale(tag) for tag, q in ranges if q == 0 and "-" not in tag}
    wanted = sorted((r for r in ranges if r[1] > 0), key=lambda r: -r[1])  # stable: ties keep order
    for tag, _ in wanted:
        if tag == "*":
            choices = [locale for locale in _BY_PREFERENCE if locale not in refused]
            if choices:
                return choices[0]
            continue
        chosen = supported_locale(tag)
        if chosen is not None and chosen not in refused:
            return chosen
    # nothing we have was asked for: the default, unless the header refuses it
    return next((locale for locale in _BY_PREFERENCE if locale not in refused), DEFAULT_LOCALE)


def _ranges(header: str) -> list[tuple[str, float]]:
    """The language ranges of a header with their q-values (1 when absent), malformed ones
    skipped: `bg-BG, en;q=0.8` → [("bg-bg", 1.0), ("en", 0.8)]."""
    if len(header) > MAX_HEADER:  # the last range may be cut short: drop it
        header = header[:MAX_HEADER].rpartition(",")[0]
    found: list[tuple[str, float]] = []
    for item in header.split(",", MAX_RANGES)[:MAX_RANGES]:
        tag, *parameters = (part.strip() for part in item.split(";"))
        if not _RANGE.fullmatch(tag):
            continue
        q: float | None = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _QVALUE.fullmatch(value) else None
        if q is not None:
            found.append((tag.lower().replace("_", "-"), q))
    return found
