"""Strings that JSON can carry but no database or client can: lone UTF-16 surrogates.

`json.loads` turns the escape `\\ud800` into a Python string holding a lone surrogate, which
UTF-8 cannot encode: the database driver raised `UnicodeEncodeError` half-way through a
request (a 500), and a browser shows U+FFFD. Both JSON edges (REST bodies, `/live/` frames)
refuse such strings. Only a text that holds a surrogate escape is walked, so ordinary
bodies cost one substring search.
"""

from __future__ import annotations

from typing import Any


def may_hold_surrogates(text: str | bytes) -> bool:
    """Whether a JSON text has an escape of the surrogate range (``\\uD800``-``\\uDFFF``)."""
    if isinstance(text, bytes):
        return b"\\ud" in text or b"\\uD" in text
    return "\\ud" in text or "\\uD" in text


def has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string (key or value) UTF-8 cannot encode.

    Iterative, so the depth of the value costs no stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
