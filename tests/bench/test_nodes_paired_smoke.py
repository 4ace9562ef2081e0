"""Smoke run of bench/nodes_paired.py (Veche only, one node and two, two rounds of ten
observers, the saturation steps cut short) so that it cannot rot. Performance is never asserted
here: docs/benchmarks.md has the measurements."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.bench.scripts import require, run_bench

QUICK = ["--quick", "--rounds", "2", "--nodes", "2", "--saturation", "--veche-only", "--rate", "50"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240)
def test_paired_rounds_alternate_and_report_every_cluster(postgres_url: str) -> None:
    require("node", "redis-server")
    out = run_bench("nodes_paired.py", *QUICK, timeout=200)
    rounds = re.findall(r"^  round (\d), (veche \d nodes?): p99 ", out, re.MULTILINE)
    # the order is reversed every other round, so neither cluster always runs first
    assert rounds == [
        ("0", "veche 1 node"),
        ("0", "veche 2 nodes"),
        ("1", "veche 2 nodes"),
        ("1", "veche 1 node"),
    ]
    assert re.search(r"^\| veche 2 nodes \| [\d.]+ \([\d.]+–[\d.]+\) ms \| [\d.]+ ", out, re.M)
    assert "cross-node p99 / one node's, round by round: " in out
    assert "Fan-out, 1 writer at 50/s, 10 observers:" in out  # --rate
    loadgen_cpu = r"\| [\d.]+ \([\d.]+–[\d.]+\) % of a core \| 0 \|$"
    assert re.search(r"^\| veche 1 node \| .* " + loadgen_cpu, out, re.M)
    results = Path(re.findall(r"^results: (.+)$", out, re.MULTILINE)[-1])
    try:
        report = json.loads(results.read_text())
        for run in report["fanout-2"]["veche 2 nodes"]:
            assert run["lost"] == 0
            assert run["server_cpu_s"] > 0
            assert run["remote_p99_ms"] is not None
        assert all(figure > 0 for figure in report["saturation"]["veche 2 nodes"])
        assert len(report["saturation"]["veche 1 node"]) == 2
    finally:
        results.unlink()
