"""Integers from a request's query string and path: bounded, so nothing past a column's range
reaches SQL (a `before=` of 10**30 used to answer 500) and no digit string costs CPU."""

from __future__ import annotations

import re

from starlette.requests import Request

from server.http.problems import Problem

MAX_ID = 2**31 - 1  # row ids are 32-bit integers in PostgreSQL
MAX_SEQ = 2**63 - 1  # document versions are 64-bit
_INTEGER = re.compile(r"-?[0-9]{1,19}")  # ASCII only: int() would take "١٢" or "1_0"
_SHOWN = 40  # characters of a bad value echoed in the problem


def invalid_parameter(name: str, detail: str) -> Problem:
    return Problem(422, "invalid-parameter", "Invalid parameter", detail, parameter=name)


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name`` as an integer in [low, high]; 422 `invalid-parameter` else."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if _INTEGER.fullmatch(raw) is None:
        shown = raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "…"
        raise invalid_parameter(name, f"{name} must be an integer, got {shown!r}")
    value = int(raw)
    if not low <= value <= high:
        raise invalid_parameter(name, f"{name} must be between {low} and {high}, got {value}")
    return value


def optional_int_param(request: Request, name: str, low: int, high: int) -> int | None:
    """Like `int_param`, None when the parameter is absent."""
    if name not in request.query_params:
        return None
    return int_param(request, name, low, low, high)


def path_id(raw: str) -> int:
    """A row id from the path; -1, which no row has, for anything that is not one."""
    if _INTEGER.fullmatch(raw) is not None and 0 <= int(raw) <= MAX_ID:
        return int(raw)
    return -1
