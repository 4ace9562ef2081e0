"""Runs the benchmark scenarios against Veche and the peers; called by ``bench/run``.

Starts each server on a free loopback port (only the processes it starts, stopped by PID;
bench/targets.py), drives it with the Node load generator (``bench/loadgen/loadgen.mjs``: one
process for all clients, or ``--loadgens K`` processes for fanout, saturation and nodes), and
writes ``bench/results/<stamp>.json`` and the tables of ``docs/benchmarks.md``
(bench/report.py). Standard library only but for the Redis client of bench/nodes.py: it runs
under Veche's venv but imports nothing of Veche (bench/population.py, which does, runs as a
process of its own).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/ is on sys.path (this file's directory). bench/crowd.py and bench/rest_cpu.py import
# create_postgres, drop_postgres and machine from this module: keep them importable here.
import nodes  # the several-nodes scenario
import storm  # the connection storm with tokens
from report import DOCS, machine, render, summarize, user_command, write_docs
from targets import (
    BENCH,
    PEERS,
    ROOT,
    TARGETS,
    Target,
    create_postgres,
    drop_postgres,
    loadgen,
    log,
    wait_quiet,
)


@dataclass
class Plan:
    runs: int
    quick: bool
    fanout_n: list[int]
    fanout_duration: float
    fanout_drain: float
    connections_n: list[int]  # also the storm's sizes
    saturation_steps: str
    cold_updates: int
    cold_bytes: int
    loadgens: int = 1  # load-generator processes for fanout, saturation and nodes


def run_scenario(name: str, target: Target, plan: Plan) -> list[dict[str, Any]]:
    """All runs of one scenario on one target, each result tagged with its parameter."""
    rows: list[dict[str, Any]] = []

    def add(param: str, run: int, result: dict[str, Any]) -> None:
        result.update(target=target.name, param=param, run=run)
        log(f"  {name} {param} run {run}: {compact(result)}")
        rows.append(result)

    if name in ("fanout", "durability"):
        sizes = plan.fanout_n if name == "fanout" else [10 if plan.quick else 100]
        for n in sizes:
            target.fresh()
            for run in range(plan.runs):
                r = loadgen(
                    target,
                    "fanout",
                    180,
                    observers=n,
                    rate=200,
                    duration=plan.fanout_duration,
                    drain=plan.fanout_drain,
                    **({"loadgens": plan.loadgens} if name == "fanout" else {}),
                )
                param = f"{n} observers"
                add(nodes.with_loadgens(param, plan) if name == "fanout" else param, run, r)
                if r.get("lost") or r.get("error"):
                    target.restart()  # a peer that fell behind must not slow the next run
        if name == "durability" and target.family == "veche":
            for run in range(plan.runs):
                add(
                    "saved notice",
                    run,
                    loadgen(target, "saved", 60, count=20 if plan.quick else 200),
                )
    elif name == "nodes":
        nodes.run(target, plan, add, loadgen)
    elif name == "saturation":
        target.fresh()
        for run in range(plan.runs):
            r = loadgen(target, "saturation", 300, **nodes.saturation_options(plan))
            add(
                nodes.with_loadgens("10 observers" if plan.quick else "100 observers", plan), run, r
            )
            target.restart()
    elif name == "connections":
        for n in plan.connections_n:
            for run in range(plan.runs):
                target.fresh()
                assert target.proc is not None
                add(
                    f"{n} connections",
                    run,
                    loadgen(target, "connections", 200, count=n, server_pids=target.proc.pid),
                )
    elif name == "storm":
        storm.run(target, plan, add)
    elif name == "coldopen":
        target.fresh()
        saved = "1" if target.family == "veche" else "0"
        prep = {
            "log": loadgen(
                target,
                "coldprep",
                300,
                kind="log",
                updates=plan.cold_updates,
                saved=saved,
                doc="cold-log",
                settle=500,
            ),
            "big": loadgen(
                target,
                "coldprep",
                300,
                kind="big",
                bytes=plan.cold_bytes,
                saved=saved,
                doc="cold-big",
                settle=500,
            ),
        }
        waited = wait_quiet(target.data, quiet=1.0 if plan.quick else 3.0)
        for kind, r in prep.items():
            r["store_quiet_after_s"] = round(waited, 1)
            add(f"prep {kind}", 0, r)
        expect = {"log": plan.cold_updates, "big": plan.cold_bytes}
        for run in range(plan.runs):
            for kind in ("log", "big"):
                if kind == "log" or not plan.quick:  # --quick: both opened after one restart
                    target.restart()
                add(
                    f"{kind}",
                    run,
                    loadgen(
                        target,
                        "coldopen",
                        150,
                        kind=kind,
                        doc=f"cold-{kind}",
                        expect_length=expect[kind],
                    ),
                )
    return rows


def compact(r: dict[str, Any]) -> str:
    keys = (
        "error",
        "p50_ms",
        "p99_ms",
        "lost",
        "sustained_deliveries_per_s",
        "rss_per_connection_kib",
        "connect_sync_seconds",
        "sync_ms",
        "complete",
        "writes",
        "loadgens",
        "loadgen_cpu_pct",
        "loadgen_cpu_sum_pct",
    )
    return " ".join(
        f"{k}={r[k]:.4g}" if isinstance(r.get(k), float) else f"{k}={r[k]}" for k in keys if k in r
    )


# Which targets each scenario compares: in-memory peers for the transport, stores for the rest.
SCENARIO_TARGETS = {
    "fanout": ["veche", "hocuspocus", "y-websocket-server", "pycrdt-websocket"],
    "saturation": ["veche", "hocuspocus", "y-websocket-server", "pycrdt-websocket"],
    "connections": ["veche", "hocuspocus", "y-websocket-server", "pycrdt-websocket"],
    "storm": [
        "veche",
        "veche-postgres",
        "hocuspocus",
        "y-websocket-server",
        "pycrdt-websocket",
    ],
    "coldopen": [
        "veche",
        "hocuspocus-sqlite",
        "y-websocket-server-leveldb",
        "pycrdt-websocket-sqlite",
    ],
    "nodes": ["veche-postgres", "veche-nodes", "hocuspocus", "hocuspocus-redis"],
    "durability": [
        "veche",
        "veche-postgres",
        "hocuspocus-sqlite",
        "y-websocket-server-leveldb",
        "pycrdt-websocket-sqlite",
    ],
}
DEFAULT_SCENARIOS = "fanout,saturation,connections,storm,coldopen,durability"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run")
    parser.add_argument(
        "--quick", action="store_true", help="tiny N, 1 run, servers reused (CI smoke)"
    )
    parser.add_argument("--only", default="", help="comma list of families or targets, e.g. veche")
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--out", default=None, help="results JSON path")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument(
        "--loadgens",
        type=int,
        default=1,
        metavar="K",
        help="load-generator processes for fanout, saturation and nodes (observers split "
        "over them, the writer in the first)",
    )
    parser.add_argument(
        "--skip-peers", default="", help="targets not runnable here (set by bench/run)"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = [s for s in scenarios if s not in SCENARIO_TARGETS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIO_TARGETS)}")
    if not 1 <= args.loadgens <= 16:
        parser.error("--loadgens is 1 to 16")
    plan = Plan(
        runs=args.runs or (1 if quick else 3),
        quick=quick,
        fanout_n=[5] if quick else [10, 100, 1000],
        fanout_duration=1 if quick else 3,
        fanout_drain=2 if quick else 5,
        connections_n=[20] if quick else [1000, 5000],
        saturation_steps="200,400"
        if quick
        else "500,1000,2000,3000,4000,6000,8000,10000,12000,16000",
        cold_updates=200 if quick else 20000,
        cold_bytes=20000 if quick else 1_000_000,
        loadgens=args.loadgens,
    )
    only = {s for s in args.only.split(",") if s}
    skip = {s for s in args.skip_peers.split(",") if s}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    scratch = PEERS / "scratch" / stamp
    scratch.mkdir(parents=True, exist_ok=True)
    pg_url, pg_name = None, None
    rows: list[dict[str, Any]] = []
    t0 = time.monotonic()
    # With --quick a server is kept running for the next scenario on the same target.
    live: dict[str, Target] = {}
    later = Counter(name for scenario in scenarios for name in SCENARIO_TARGETS[scenario])
    try:
        for scenario in scenarios:
            for name in SCENARIO_TARGETS[scenario]:
                later[name] -= 1
                family, proto, persistence = TARGETS[name]
                if only and family not in only and name not in only:
                    continue
                if name in skip or family in skip:
                    rows.append(
                        {
                            "bench_scenario": scenario,
                            "target": name,
                            "param": "-",
                            "error": "not installable here (see bench/run output)",
                        }
                    )
                    continue
                target = live.pop(name, None) or Target(
                    name, family, proto, persistence, scratch, reuse=quick
                )
                if persistence == "postgres":
                    if pg_url is None:
                        pg_url, pg_name = create_postgres()
                    if pg_url is None:
                        rows.append(
                            {
                                "bench_scenario": scenario,
                                "target": name,
                                "param": "-",
                                "error": f"PostgreSQL unavailable: {pg_name}",
                            }
                        )
                        continue
                    target.postgres_url = pg_url
                log(f"== {scenario} on {name}")
                failed = False
                try:
                    for r in run_scenario(scenario, target, plan):
                        r["bench_scenario"] = scenario
                        rows.append(r)
                except Exception as exc:  # a peer failing must not stop the others
                    failed = True
                    log(f"  {scenario} on {name} failed: {exc}")
                    rows.append(
                        {
                            "bench_scenario": scenario,
                            "target": name,
                            "param": "-",
                            "error": str(exc)[:300],
                        }
                    )
                finally:
                    if quick and not failed and later[name] > 0:
                        live[name] = target
                    else:
                        target.stop()
    finally:
        for target in live.values():
            target.stop()
        if pg_url and pg_name:
            drop_postgres(pg_name)
    summary = summarize(rows)
    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    out = Path(args.out) if args.out else results_dir / f"{'quick-' if quick else ''}{stamp}.json"
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "runs": plan.runs,
        "command": user_command(argv),
        "results": str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out),
        "seconds": round(time.monotonic() - t0, 1),
    }
    out.write_text(
        json.dumps(
            {"meta": meta, "plan": plan.__dict__, "summary": summary, "rows": rows}, indent=1
        )
    )
    log(f"results: {out} ({meta['seconds']} s)")
    if not quick and not args.no_docs:
        write_docs(render(summary, meta))
        log(f"tables written to {DOCS}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
