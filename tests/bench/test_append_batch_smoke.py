"""Smoke run of bench/append_batch.py (the group commit's statement on PostgreSQL beside the
two it replaced, a few rows) so that it cannot rot. Performance is never asserted here:
docs/benchmarks.md has the measurements."""

from __future__ import annotations

import re

import pytest

from tests.bench.scripts import run_bench

SMALL = ["--rows", "7", "--appends", "2", "--runs", "2"]


@pytest.mark.postgres
def test_append_batch_measures_each_way(postgres_url: str) -> None:
    printed = run_bench("append_batch.py", *SMALL, timeout=120)
    medians = printed.split("medians of 2 runs, 7 rows a batch:")[1].strip("\n").splitlines()
    figure = re.compile(
        r"  (one statement \(DocumentLog.append\)|unnest in a session|row by row):"
        r" [\d.]+ ms wall, [\d.]+ ms CPU"
    )
    assert sorted(figure.fullmatch(line).group(1) for line in medians) == [  # type: ignore[union-attr]
        "one statement (DocumentLog.append)",
        "row by row",
        "unnest in a session",
    ]
