"""Smoke run of bench/fixed_rate.py (two nodes sharing a Redis, one low rate, one second) so
that it cannot rot. Performance is never asserted here: docs/benchmarks.md has the
measurements."""

from __future__ import annotations

import re

import pytest

from tests.bench.scripts import require, run_bench

SMALL = ["--nodes", "2", "--rates", "100", "--seconds", "1", "--repeats", "1", "--no-budget"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(180)
def test_fixed_rate_reports_each_node_and_the_services(postgres_url: str) -> None:
    require("node", "redis-server")
    step, usage = run_bench("fixed_rate.py", *SMALL, timeout=150).strip().splitlines()[-2:]
    assert re.fullmatch(r"2 node\(s\), repeat 0, 100/s: p50 .* ms, p99 .* lost 0, .*", step)
    per_node = r"\d+% \+ \d+%"
    assert re.fullmatch(
        rf"  over [\d.]+ s: node CPU {per_node}, waiting for a core {per_node}, .*"
        r"; PostgreSQL \d+%, Redis \d+%",
        usage,
    ), usage
