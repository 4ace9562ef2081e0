"""Smoke run of bench/rest_cpu.py (Veche beside the floor of its stack, a few requests) so that
it cannot rot. Performance is never asserted here: docs/benchmarks.md has the measurements."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.bench.scripts import run_bench

ROOM_READ = "GET /rooms/{slug}"
BALLOT = "POST /rooms/{slug}/polls/{id}/ballots"


@pytest.mark.timeout(300)  # two servers start one after the other; slow on a busy machine
def test_rest_cpu_measures_veche_and_the_floor_side_by_side() -> None:
    printed = run_bench("rest_cpu.py", "--requests", "5", "--runs", "1", timeout=240)
    report: dict[str, Any] = json.JSONDecoder().raw_decode(printed)[0]
    assert report["database"] == "sqlite"
    for figures in (report["median_ms"], report["floor_median_ms"]):
        # five requests may take less than one tick of the CPU clock (10 ms): not zero wall
        for kind in (ROOM_READ, BALLOT):
            assert figures[kind] >= 0
            assert figures[kind + " (wall)"] > 0
    assert "floor" in printed.splitlines()[-4]  # the table's heading
