"""Integers from a request's path, and the problem of a bad parameter. Query parameters are
declared with their bounds (server/http/endpoint.py), so nothing past a column's range
reaches SQL (a `before=` of 10**30 used to answer 500) and no digit string costs CPU."""

from __future__ import annotations

import re

from server.http.problems import Problem
from server.i18n import translatable

N_ = translatable("problems")
MAX_ID = 2**31 - 1  # row ids are 32-bit integers in PostgreSQL
_INTEGER = re.compile(r"-?[0-9]{1,19}")  # ASCII only: int() would take "١٢" or "1_0"


def invalid_parameter(name: str, detail: str) -> Problem:
    """422 `invalid-parameter` naming ``name``; ``detail`` is translated when the `problems`
    catalog has it (a fixed sentence marked with `N_`), else kept as it is."""
    return Problem(422, "invalid-parameter", N_("Invalid parameter"), detail, parameter=name)


def path_id(raw: str) -> int:
    """A row id from the path; -1, which no row has, for anything that is not one."""
    if _INTEGER.fullmatch(raw) is not None and 0 <= int(raw) <= MAX_ID:
        return int(raw)
    return -1
