"""Smoke run of bench/append_batch.py (the group commit's statement on PostgreSQL beside the
row-by-row one, a few rows) so that it cannot rot. Performance is never asserted here:
docs/benchmarks.md has the measurements."""

from __future__ import annotations

import re

import pytest

from tests.bench.scripts import run_bench

SMALL = ["--rows", "7", "--appends", "2", "--runs", "2"]


@pytest.mark.postgres
def test_append_batch_measures_both_statements(postgres_url: str) -> None:
    printed = run_bench("append_batch.py", *SMALL, timeout=120)
    medians = printed.split("medians of 2 runs, 7 rows a batch:")[1].strip("\n").splitlines()
    figure = re.compile(
        r"  (unnest \(DocumentLog.append\)|row by row): [\d.]+ ms wall, [\d.]+ ms CPU"
    )
    assert sorted(figure.fullmatch(line).group(1) for line in medians) == [  # type: ignore[union-attr]
        "row by row",
        "unnest (DocumentLog.append)",
    ]
