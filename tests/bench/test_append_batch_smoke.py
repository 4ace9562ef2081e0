"""Smoke run of bench/append_batch.py (the group commit's statement on PostgreSQL beside the
row-by-row one, a few rows) so that it cannot rot. Performance is never asserted here:
docs/benchmarks.md has the measurements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--rows", "7", "--appends", "2", "--runs", "2"]


@pytest.mark.postgres
def test_append_batch_measures_both_statements(postgres_url: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "append_batch.py"), *SMALL],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    medians = proc.stdout.split("medians of 2 runs, 7 rows a batch:")[1].strip("\n").splitlines()
    figure = re.compile(
        r"  (unnest \(DocumentLog.append\)|row by row): [\d.]+ ms wall, [\d.]+ ms CPU"
    )
    assert sorted(figure.fullmatch(line).group(1) for line in medians) == [  # type: ignore[union-attr]
        "row by row",
        "unnest (DocumentLog.append)",
    ]
