"""One writer at fixed rates, 100 observers (``--observers``), on one Veche node or on two
sharing a Redis: what each process costs and waits for, to explain the saturation figures of
`bench/run --scenarios nodes` (docs/benchmarks.md, "Several nodes").

    .venv/bin/python bench/fixed_rate.py --nodes 1|2 [--rates 3000,6000] [--seconds 6]
        [--repeats 2] [--no-budget] [--observers 100]

Starts the nodes (`veche serve`, PostgreSQL on 127.0.0.1:5432 in a new database dropped
afterwards; with two nodes, a private redis-server) and runs the load generator's saturation
scenario with the given steps, each ``--seconds`` long. Per repeat it prints each step's p50
and p99 (of the remote observers too) and losses, and for each node process its CPU and the
time it waited on the run queue for a core (/proc/PID/schedstat), both as % of the wall time,
its context switches per second, and PostgreSQL's and Redis's CPU. ``--no-budget`` lifts the
per-connection and per-document CRDT budgets (docs/crdt-isolation.md), which a writer at
thousands of updates per second spends within seconds. Standard library only, as the runner.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from nodes import PrivateRedis  # this directory is on sys.path
from targets import Target, create_postgres, drop_postgres, loadgen

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def waited_seconds(pid: int) -> float:
    """Time spent runnable but waiting for a core."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def switches(pid: int) -> tuple[int, int]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    found = dict(line.split(":\t") for line in lines if "ctxt_switches" in line)
    return int(found["voluntary_ctxt_switches"]), int(found["nonvoluntary_ctxt_switches"])


def postgres_cpu() -> float:
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry))
            except OSError:
                pass  # a backend that just ended
    return total


def sample(pids: list[int]) -> dict[str, list[float]]:
    return {
        "cpu": [cpu_seconds(p) for p in pids],
        "waited": [waited_seconds(p) for p in pids],
        "voluntary": [switches(p)[0] for p in pids],
        "forced": [switches(p)[1] for p in pids],
    }


def rates_of(before: list[float], after: list[float], seconds: float) -> list[float]:
    return [(a - b) / seconds for a, b in zip(after, before, strict=True)]


def percent(values: list[float]) -> str:
    return " + ".join(f"{v:.0%}" for v in values)


def run(
    count: int, rates: str, seconds: float, repeats: int, no_budget: bool, observers: int = 100
) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="veche-fixed-rate-"))
    url, name = create_postgres()
    if url is None or name is None:
        raise SystemExit(f"PostgreSQL: {name}")
    bus = PrivateRedis(scratch) if count > 1 else None
    env = {} if bus is None else {"VECHE_REDIS_URL": f"redis://127.0.0.1:{bus.port}/0"}
    if no_budget:
        env.update(VECHE_CRDT_BUDGET="1000", VECHE_CRDT_DOCUMENT_BUDGET="1000")
    nodes = [
        Target(f"node-{i}", "veche", "y", "postgres", scratch, postgres_url=url, extra_env=env)
        for i in range(count)
    ]
    try:
        for node in nodes:
            node.launch()
        for node in nodes:
            node.wait_listening()
        pids = [node.proc.pid for node in nodes if node.proc is not None]
        options: dict[str, object] = {"observers": observers, "steps": rates, "duration": seconds}
        if count > 1:
            options["bases"] = ",".join(node.base() for node in nodes)
        for repeat in range(repeats):
            before, postgres, redis = sample(pids), postgres_cpu(), bus.usage() if bus else None
            started = time.monotonic()
            result = loadgen(nodes[0], "saturation", 300, drain=1.5, **options)
            wall = time.monotonic() - started
            after = sample(pids)

            rate = {key: rates_of(before[key], after[key], wall) for key in before}

            for step in result.get("steps", []):
                remote = step.get("remote") or {}
                print(
                    f"{count} node(s), repeat {repeat}, {step['rate']}/s: p50 {step['p50_ms']:.1f}"
                    f" ms, p99 {step['p99_ms']:.1f} ms (remote p50 {remote.get('p50_ms', 0):.1f},"
                    f" p99 {remote.get('p99_ms', 0):.1f} ms),"
                    f" lost {step['lost']}, {step['frames']} frames for {step['delivered']}"
                    f" deliveries, load generator {step['loadgen_cpu_each_pct']} %"
                )
            redis_share = ""
            if bus is not None and redis is not None:
                redis_share = f", Redis {(bus.usage()['cpu_s'] - redis['cpu_s']) / wall:.0%}"
            print(
                f"  over {wall:.1f} s: node CPU {percent(rate['cpu'])}, waiting for a"
                f" core {percent(rate['waited'])}, context switches/s voluntary"
                f" {[round(v) for v in rate['voluntary']]}, forced"
                f" {[round(v) for v in rate['forced']]};"
                f" PostgreSQL {(postgres_cpu() - postgres) / wall:.0%}{redis_share}"
            )
    finally:
        for node in nodes:
            node.stop()
        if bus is not None:
            bus.stop()
        drop_postgres(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="bench/fixed_rate.py")
    parser.add_argument("--nodes", type=int, choices=(1, 2), required=True)
    parser.add_argument("--rates", default="3000,6000")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-budget", action="store_true")
    parser.add_argument("--observers", type=int, default=100)
    args = parser.parse_args()
    run(args.nodes, args.rates, args.seconds, args.repeats, args.no_budget, args.observers)
