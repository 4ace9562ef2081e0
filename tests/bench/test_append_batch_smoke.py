"""Smoke run of bench/append_batch.py (the group commit on PostgreSQL and SQLite beside the
ways it replaced, a few rows) so that it cannot rot. Performance is never asserted here:
docs/benchmarks.md has the measurements."""

from __future__ import annotations

import re

import pytest

from tests.bench.scripts import run_bench

SMALL = ["--rows", "7", "--appends", "2", "--runs", "2"]


FIGURE = re.compile(
    r"  (DocumentLog.append|unnest in a session|row by row): [\d.]+ ms wall, [\d.]+ ms CPU"
)


def ways(printed: str, dialect: str) -> list[str]:
    medians = printed.split(f"medians of 2 runs, 7 rows a batch ({dialect}):")[1]
    return sorted(FIGURE.fullmatch(line).group(1) for line in medians.strip("\n").splitlines())  # type: ignore[union-attr]


@pytest.mark.postgres
def test_append_batch_measures_each_way_on_postgresql(postgres_url: str) -> None:
    printed = run_bench("append_batch.py", *SMALL, timeout=120)
    assert ways(printed, "postgresql") == [
        "DocumentLog.append",
        "row by row",
        "unnest in a session",
    ]


def test_append_batch_measures_each_way_on_sqlite() -> None:
    printed = run_bench("append_batch.py", "--database", "sqlite", *SMALL, timeout=120)
    assert ways(printed, "sqlite") == ["DocumentLog.append", "row by row"]
