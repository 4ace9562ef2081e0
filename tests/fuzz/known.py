"""Open defects the fuzz targets find, recorded until they are fixed (none open today).

A failure that one of these matches is counted and reported (`scripts/fuzz` prints the count
and exits 1 unless given --allow-known) instead of ending the target's run, so that the
fuzzer goes on looking for new defects. Each has a reproducer in test_known_defects.py marked
``xfail(strict=True)``: when the defect is fixed that test passes, pytest reports it, and both
the mark and the entry here go.

The matches are narrow on purpose: the exception's type and message and a property of the
input that explains it, so that another defect with the same symptom still stops the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KnownDefect:
    name: str
    reason: str
    matches: Callable[[str, Any, BaseException], bool]  # (target, input, what it raised)


# Every defect recorded so far is fixed (test_known_defects.py keeps their reproducers).
DEFECTS: tuple[KnownDefect, ...] = ()


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
