"""Open defects the fuzz targets find, owned elsewhere and recorded until they are fixed.

A failure that one of these matches is counted and reported (`scripts/fuzz` prints the count
and exits 1 unless given --allow-known) instead of ending the target's run, so that the
fuzzer goes on looking for new defects. Each has a reproducer in test_known_defects.py marked
``xfail(strict=True)``: when the defect is fixed that test passes, pytest reports it, and both
the mark and the entry here go.

The matches are narrow on purpose: the exception's type and message and a property of the
input that explains it, so that another defect with the same symptom still stops the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_LONG_NUMBER = re.compile(rb"\d{4300}")


@dataclass(frozen=True)
class KnownDefect:
    name: str
    reason: str
    matches: Callable[[str, Any, BaseException], bool]  # (target, input, what it raised)


def _text_of(value: Any) -> bytes:
    """The JSON text an input carries (a /live/ frame, or a REST (endpoint, body))."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes):
        return value[1]
    return b""


def _decoded(value: Any) -> Any:
    try:
        return json.loads(_text_of(value))
    except (ValueError, RecursionError):
        return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _has_lone_surrogate(value: Any) -> bool:
    return any(re.search("[\ud800-\udfff]", s) for s in _strings(_decoded(value)))


def _past_parser_limits(target: str, value: Any, exc: BaseException) -> bool:
    text = _text_of(value)
    too_long = "Exceeds the limit" in str(exc) and _LONG_NUMBER.search(text) is not None
    too_deep = isinstance(exc, RecursionError) and text.count(b"[") + text.count(b"{") > 900
    return too_long or too_deep


def _surrogate_stored(target: str, value: Any, exc: BaseException) -> bool:
    stored = isinstance(exc, UnicodeEncodeError) and "surrogates not allowed" in str(exc)
    relayed = "lone surrogate" in str(exc)
    return (stored or relayed) and _has_lone_surrogate(value)


def _id_past_int64(target: str, value: Any, exc: BaseException) -> bool:
    return target == "live" and "does not fit in 64 bits" in str(exc)


def _unhashable_score_by(target: str, value: Any, exc: BaseException) -> bool:
    body = _decoded(value)
    rules = body.get("rules") if isinstance(body, dict) else None
    score_by = rules.get("score_by") if isinstance(rules, dict) else None
    return isinstance(exc, TypeError) and "unhashable" in str(exc) and score_by is not None


DEFECTS = (
    KnownDefect(
        "parser-limits",
        "issue 10 #12/#13: JSON nested ~1,000 deep or with a 4,300+-digit integer raises "
        "RecursionError/ValueError past the parser (REST answers 500, /live/ closes the socket)",
        _past_parser_limits,
    ),
    KnownDefect(
        "ids-past-int64",
        "issue 10 #12: /live/ accepts ids above 2**63-1 (message_id 10**30), which no 64-bit "
        "column holds",
        _id_past_int64,
    ),
    KnownDefect(
        "lone-surrogate",
        "fuzzing: a lone surrogate (a JSON \\ud800 escape) in a string that is stored answers "
        "500 (UnicodeEncodeError), and /live/ accepts it in a command",
        _surrogate_stored,
    ),
    KnownDefect(
        "unhashable-score-by",
        "fuzzing: a poll with rules.score_by a list or object answers 500 (TypeError: "
        "unhashable type, server/decisions/methods.py)",
        _unhashable_score_by,
    ),
)


def classify(target: str, value: Any, exc: BaseException) -> KnownDefect | None:
    """The known defect that explains ``exc``, raised by ``target`` on ``value``, if any."""
    causes = [exc, *(_causes(exc))]
    for defect in DEFECTS:
        if any(defect.matches(target, value, cause) for cause in causes):
            return defect
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    found = []
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        found.append(exc)
        if len(found) > 10:
            break
    return found
