"""Reading a JSON request body: the one parser every REST handler uses (docs/http-limits.md).

Malformed or hostile JSON is a 400 `invalid-body`, never a 500: Python's `json` raises
`RecursionError` for deep nesting (200,000 `[`) and `ValueError` for integers over 4,300
digits, and an integer past 64 bits or a non-finite number would fail later, in SQL or in
date arithmetic. So integers must fit in a signed 64-bit integer, numbers must be finite,
`NaN`/`Infinity` (not JSON) are refused, nesting is at most `MAX_DEPTH` levels, and no string
may hold a lone UTF-16 surrogate (`server/json_text.py`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from server.http.problems import Problem
from server.i18n import translatable
from server.json_text import has_lone_surrogate, may_hold_surrogates

N_ = translatable("problems")
MAX_DEPTH = 32  # the deepest body the API takes (a ranked ballot) is 3 levels
INT64 = 2**63
_INT64_DIGITS = len(str(INT64))


class _Refused(ValueError):
    """A value the JSON grammar allows but the API does not take; ``detail`` is a text of the
    `problems` catalog, its placeholders filled from ``values``."""

    def __init__(self, detail: str, **values: object) -> None:
        super().__init__(detail)
        self.detail, self.values = detail, values


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _INT64_DIGITS:  # before int(): 5,000 digits cost CPU
        raise _Refused(N_("the body must be JSON: integers must fit in 64 bits"))
    value = int(text)
    if not -INT64 <= value < INT64:
        raise _Refused(N_("the body must be JSON: integers must fit in 64 bits"))
    return value


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(N_("the body must be JSON: numbers must be finite"))
    return value


def _constant(name: str) -> Any:
    raise _Refused(N_("the body must be JSON: {name} is not JSON"), name=name)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests more than ``limit`` arrays or objects (iteratively: no stack)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth >= limit:
                return True
            pending.extend((child, depth + 1) for child in item)
    return False


_TOO_DEEP = N_("the body must nest at most {depth} levels")


def invalid_body(detail: str, **values: object) -> Problem:
    """400 `invalid-body`: ``detail`` is a text of the `problems` catalog (mark it with `N_`),
    its `{placeholders}` filled from ``values``."""
    return Problem(400, "invalid-body", N_("Invalid body"), detail, values=values or None)


def parse_json(raw: bytes) -> Any:
    """The JSON value of a request body; Problem 400 `invalid-body` for anything else."""
    try:
        value = json.loads(raw, parse_int=_integer, parse_float=_number, parse_constant=_constant)
    except _Refused as refused:
        raise invalid_body(refused.detail, **refused.values) from None
    except RecursionError:
        raise invalid_body(_TOO_DEEP, depth=MAX_DEPTH) from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError, digit limits
        raise invalid_body(N_("the body must be JSON")) from None
    # counting brackets is fast C; only a body with many of them is walked
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _deeper_than(value, MAX_DEPTH):
        raise invalid_body(_TOO_DEEP, depth=MAX_DEPTH)
    if may_hold_surrogates(raw) and has_lone_surrogate(value):
        raise invalid_body(N_("the body must be JSON: a string holds a lone UTF-16 surrogate"))
    return value
