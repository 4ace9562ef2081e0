"""Smoke run of the benchmark harness (tiny N, Veche only) so that it cannot rot.

Performance is never asserted here: only that every scenario produced results, that no
delivery was lost and every client synced. The fan-outs (and several nodes) run on two
load-generator processes, durability's on one, so both paths are covered; the connection storm
runs with a token per client on a room document. The real measurements are made by
``bench/run`` (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.bench.scripts import require
from tests.support.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run"


@pytest.mark.timeout(300)  # servers start one after another; slow on a busy machine
def test_quick_bench_run_delivers_everything(tmp_path: Path) -> None:
    require("node")
    if shutil.which("npm") is None and not (ROOT / "bench" / "loadgen" / "node_modules").exists():
        unavailable("npm is not installed: the load generator's packages cannot be installed")
    out = tmp_path / "quick.json"
    env = dict(os.environ, VECHE_PYTHON=sys.executable)
    proc = subprocess.run(
        [
            str(RUN),
            "--quick",
            "--only",
            "veche",
            "--scenarios",
            "fanout,connections,storm,coldopen,durability,nodes",
            "--loadgens",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report: dict[str, Any] = json.loads(out.read_text())
    rows: list[dict[str, Any]] = report["rows"]
    errors = [r for r in rows if "error" in r]
    assert not errors, errors

    fanouts = [
        r for r in rows if r["bench_scenario"] in ("fanout", "durability") and "observers" in r
    ]
    assert {r["bench_scenario"] for r in fanouts} == {"fanout", "durability"}
    for r in fanouts:
        assert r["writes"] > 0
        assert r["lost"] == 0, r
        assert r["delivered"] == r["expected"] == r["writes"] * r["observers"]
        assert r["p99_ms"] is not None
        # fanout on two processes (each holding observers, each reporting its CPU), durability
        # on one
        processes = 2 if r["bench_scenario"] == "fanout" else 1
        assert r["loadgens"] == processes, r
        assert len(r["observers_each"]) == len(r["loadgen_cpu_each_pct"]) == processes
        assert sum(r["observers_each"]) == r["observers"]
        assert min(r["observers_each"]) > 0

    connections = [r for r in rows if r["bench_scenario"] == "connections"]
    assert connections
    assert all(r["alive"] == r["count"] and r["rss_after_kib"] > 0 for r in connections)

    # every client of the storm synced with its own token, on a document that refuses a client
    # without one (VECHE_OPEN_DOCUMENTS off: a private room's document)
    storms = [r for r in rows if r["bench_scenario"] == "storm"]
    assert {r["target"] for r in storms} == {"veche", "veche-postgres"}
    for r in storms:
        assert r["with_tokens"] is True
        assert r["alive"] == r["count"] == 20, r
        assert r["rss_after_kib"] > 0
        assert r["without_token"].startswith("refused"), r

    cold = [r for r in rows if r["bench_scenario"] == "coldopen" and "sync_ms" in r]
    assert {r["kind"] for r in cold} == {"log", "big"}
    assert all(r["complete"] for r in cold), cold

    several = [r for r in rows if r["bench_scenario"] == "nodes" and "observers" in r["param"]]
    assert {r["target"] for r in several} == {"veche-postgres", "veche-nodes"}
    for r in several:
        assert r["lost"] == 0, r
        assert r["delivered"] == r["expected"] > 0
    assert all(r["loadgens"] == 2 for r in several), several
    across = [r for r in several if r["target"] == "veche-nodes"]
    assert across
    assert all(r["nodes"] == 2 and r["remote_p99_ms"] is not None for r in across), across
    assert all(r["redis_cpu_s"] >= 0 for r in across)

    saved = [r for r in rows if r.get("param") == "saved notice"]
    assert saved
    assert all(r["acknowledged"] == r["count"] for r in saved)
