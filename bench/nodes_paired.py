"""The several-nodes comparisons of issue 13, measured in interleaved rounds.

    .venv/bin/python bench/nodes_paired.py [--rounds 5] [--nodes 2,3] [--observers 1000]
        [--rate 200] [--saturation] [--veche-only] [--quick]

`bench/run --scenarios nodes` measures each target's runs one after another, so a drift of the
machine's speed between the targets' turns (seen here: a third in an hour) lands in the
comparison. Here every cluster of a group is started first (Veche on one node and on N nodes,
Hocuspocus on one node and on N nodes with its Redis extension, each cluster with a private
redis-server), and then each round runs the fan-out once on each, in an order reversed every
other round. The comparisons are made round by round (the pairs shared a minute of the
machine), and over the medians. With ``--saturation`` the saturation steps run the same way on
Veche's one node and two, on finer steps near the top (``--steps``), each ``--step-seconds``
long: 1.5 s as in `bench/run` measures how large a burst is absorbed within a p99 of 100 ms;
4 s or more, the rate that is sustained.

Besides latency, each run reports the servers' CPU time (every process of the cluster and their
children, from /proc) per 1,000 deliveries: a figure that a busy machine's scheduling disturbs
far less than a p99. Results go to bench/results/nodes-paired-<time>.json; the summary is
printed as Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nodes import PrivateRedis  # this directory is on sys.path
from procs import cpu_seconds
from targets import TARGETS, Target, create_postgres, drop_postgres, loadgen

RESULTS = Path(__file__).resolve().parent / "results"
SATURATION_STEPS = "2000,4000,6000,7000,8000,9000,10000,11000,12000,13000,14000,16000"
VECHE_ENV_NO_BUDGET = {"VECHE_CRDT_BUDGET": "1000", "VECHE_CRDT_DOCUMENT_BUDGET": "1000"}


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (Veche's sandbox workers)."""
    total = cpu_seconds(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    for child in children:
        with contextlib.suppress(OSError):  # ended meanwhile
            total += cpu_seconds(int(child))
    return total


@dataclasses.dataclass
class Cluster:
    """One or more nodes of one server; several share a private Redis."""

    family: str
    count: int
    nodes: list[Target]
    bus: PrivateRedis | None

    @property
    def label(self) -> str:
        return f"{self.family} {self.count} node{'s' if self.count > 1 else ''}"

    def bases(self) -> str:
        return ",".join(node.base() for node in self.nodes)

    def cpu(self) -> float:
        return sum(tree_cpu(node.proc.pid) for node in self.nodes if node.proc is not None)

    def redis_cpu(self) -> float:
        return self.bus.usage()["cpu_s"] if self.bus is not None else 0.0

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        if self.bus is not None:
            self.bus.stop()


def start_cluster(family: str, count: int, scratch: Path, postgres_url: str) -> Cluster:
    name = "veche-nodes" if family == "veche" else "hocuspocus-redis"
    fam, proto, persistence = TARGETS[name]
    bus = PrivateRedis(scratch) if count > 1 else None
    env: dict[str, str] = {}
    if bus is not None:
        env = (
            {"VECHE_REDIS_URL": f"redis://127.0.0.1:{bus.port}/0"}
            if family == "veche"
            else {"BENCH_REDIS": f"127.0.0.1:{bus.port}"}
        )
    if family == "veche":
        env.update(VECHE_ENV_NO_BUDGET)  # the saturation writer spends a budget in seconds
    nodes = [
        Target(
            f"{family}-{count}-{i}-{time.monotonic_ns()}",
            fam,
            proto,
            persistence,
            scratch,
            postgres_url=postgres_url if family == "veche" else None,
            extra_env=env,
        )
        for i in range(count)
    ]
    for node in nodes:
        node.launch()
    for node in nodes:
        node.wait_listening()
    return Cluster(family, count, nodes, bus)


def measure(cluster: Cluster, scenario: str, options: dict[str, Any]) -> dict[str, Any]:
    cpu, redis = cluster.cpu(), cluster.redis_cpu()
    opts = dict(options)
    if cluster.count > 1:
        opts["bases"] = cluster.bases()
    result = loadgen(cluster.nodes[0], scenario, 400, **opts)
    used = cluster.cpu() - cpu
    delivered = result.get("delivered") or sum(
        step.get("delivered", 0) for step in result.get("steps", [])
    )
    result["server_cpu_s"] = round(used, 2)
    result["server_cpu_ms_per_1k"] = round(used * 1e6 / delivered, 2) if delivered else None
    result["redis_cpu_s"] = round(cluster.redis_cpu() - redis, 2)
    remote = result.pop("remote", None)
    if isinstance(remote, dict):
        result["remote_p99_ms"] = remote.get("p99_ms")
    return result


def rounds(
    clusters: list[Cluster],
    count: int,
    run: Callable[[Cluster], dict[str, Any]],
    show: Callable[[dict[str, Any]], str],
) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {c.label: [] for c in clusters}
    for round_no in range(count):
        order = clusters if round_no % 2 == 0 else list(reversed(clusters))
        for cluster in order:
            result = run(cluster)
            results[cluster.label].append(result)
            print(f"  round {round_no}, {cluster.label}: {show(result)}", flush=True)
    return results


def spread(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def fanout_table(results: dict[str, list[dict[str, Any]]], count: int) -> list[str]:
    rows = [
        "| cluster | p99 | p99 remote | server CPU per 1,000 deliveries | Redis CPU"
        " | load generator CPU | lost |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, runs in results.items():
        p99 = [r["p99_ms"] for r in runs if r.get("p99_ms") is not None]
        remote = [r["remote_p99_ms"] for r in runs if r.get("remote_p99_ms") is not None]
        cpu = [r["server_cpu_ms_per_1k"] for r in runs if r.get("server_cpu_ms_per_1k")]
        redis = [r["redis_cpu_s"] for r in runs]
        loadgen_cpu = [r["loadgen_cpu_pct"] for r in runs if r.get("loadgen_cpu_pct")]
        lost = sum(r.get("lost", 0) or 0 for r in runs) + sum(1 for r in runs if "error" in r)
        rows.append(
            f"| {label} | {spread(p99)} ms | {spread(remote) if count > 1 and remote else '—'}"
            f" | {spread(cpu)} ms | {spread(redis) if 'nodes' in label else '—'} s"
            f" | {spread(loadgen_cpu)} % of a core | {lost} |"
        )
    return rows


def paired(
    results: dict[str, list[dict[str, Any]]], a: str, b: str, key: str, lower: bool = True
) -> str:
    """How often ``a`` beat ``b`` round by round on ``key`` (lower or higher is better)."""
    pairs = [
        (x[key], y[key])
        for x, y in zip(results.get(a, []), results.get(b, []), strict=False)
        if x.get(key) is not None and y.get(key) is not None
    ]
    if not pairs:
        return f"{a} against {b}: no pairs"
    wins = sum(1 for x, y in pairs if (x < y if lower else x > y))
    ties = sum(1 for x, y in pairs if x == y)
    ratio = statistics.median(x / y for x, y in pairs if y)
    return (
        f"{a} against {b} ({key}): better in {wins} of {len(pairs)} rounds"
        f"{f', equal in {ties}' if ties else ''}; median of the ratios {ratio:.2f}"
    )


def fanout_group(
    clusters: list[Cluster], count: int, rounds_of: int, fanout: dict[str, Any]
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    print(f"fan-out, {fanout['observers']} observers, 1 and {count} nodes:", flush=True)
    found = rounds(
        clusters,
        rounds_of,
        lambda c: measure(c, "fanout", fanout),
        lambda r: (
            f"p99 {r.get('p99_ms')} ms, remote {r.get('remote_p99_ms')} ms,"
            f" CPU {r.get('server_cpu_ms_per_1k')} ms/1k, lost {r.get('lost')}"
        ),
    )
    lines = [f"Fan-out, 1 writer at {fanout['rate']}/s, {fanout['observers']} observers:", ""]
    lines += [*fanout_table(found, count), ""]
    if f"hocuspocus {count} nodes" in found:
        for key in ("p99_ms", "remote_p99_ms", "server_cpu_ms_per_1k"):
            lines.append(
                "- " + paired(found, f"veche {count} nodes", f"hocuspocus {count} nodes", key)
            )
    ratios = [
        f"{x['p99_ms'] / y['p99_ms']:.2f}"
        for x, y in zip(found[f"veche {count} nodes"], found["veche 1 node"], strict=False)
        if x.get("p99_ms") and y.get("p99_ms")
    ]
    lines += ["- cross-node p99 / one node's, round by round: " + ", ".join(ratios), ""]
    return found, lines


def saturation_group(
    clusters: list[Cluster], rounds_of: int, options: dict[str, Any]
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    print(f"saturation, {options['observers']} observers, 1 and 2 nodes:", flush=True)
    found = rounds(
        clusters,
        rounds_of,
        lambda c: measure(c, "saturation", options),
        lambda r: f"{r.get('sustained_deliveries_per_s')}/s",
    )
    lines = [
        f"Saturation (deliveries/s sustained), {options['observers']} observers,"
        f" steps of {options['duration']} s:",
        "",
    ]
    for label, runs in found.items():
        figures = [float(r.get("sustained_deliveries_per_s") or 0) / 1000 for r in runs]
        cpu = [r["server_cpu_ms_per_1k"] for r in runs if r.get("server_cpu_ms_per_1k")]
        lines.append(
            f"- {label}: {spread(figures)} thousand/s; server CPU {spread(cpu)} ms per 1,000"
        )
    key = "sustained_deliveries_per_s"
    lines += ["- " + paired(found, "veche 2 nodes", "veche 1 node", key, lower=False), ""]
    return found, lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/nodes_paired.py")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--nodes", default="2,3")
    parser.add_argument("--observers", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=200, help="the fan-out's updates/s")
    parser.add_argument("--saturation", action="store_true")
    parser.add_argument("--steps", default=SATURATION_STEPS, help="saturation steps, updates/s")
    parser.add_argument("--step-seconds", type=float, default=1.5, help="each saturation step")
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--veche-only", action="store_true")
    parser.add_argument("--quick", action="store_true", help="10 observers, short runs")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds is 1 to 20")
    counts = [int(n) for n in args.nodes.split(",") if n]
    if not counts or any(not 2 <= n <= 4 for n in counts):
        parser.error("--nodes lists node counts of 2 to 4")
    families = ["veche"] if args.veche_only else ["veche", "hocuspocus"]
    observers = 10 if args.quick else args.observers
    duration, drain = (1, 2) if args.quick else (3, 5)
    fanout = {"observers": observers, "rate": args.rate, "duration": duration, "drain": drain}
    saturation = {
        "observers": 10 if args.quick else 100,
        "steps": "200,400" if args.quick else args.steps,
        "duration": 1 if args.quick else args.step_seconds,
        "drain": 1 if args.quick else 1.5,
    }
    scratch = Path(tempfile.mkdtemp(prefix="veche-nodes-paired-"))
    url, name = create_postgres()
    if url is None or name is None:
        raise SystemExit(f"PostgreSQL: {name}")
    report: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    report["options"] = vars(args)
    lines: list[str] = []
    try:
        for count in counts:
            clusters = [start_cluster(f, n, scratch, url) for n in (1, count) for f in families]
            try:
                if not args.skip_fanout:
                    found, more = fanout_group(clusters, count, args.rounds, fanout)
                    report[f"fanout-{count}"] = found
                    lines += more
                if args.saturation and count == 2:  # Veche's own figures: one node, two
                    veche = [c for c in clusters if c.family == "veche"]
                    sat, more = saturation_group(veche, args.rounds, saturation)
                    report["saturation"] = {
                        k: [r.get("sustained_deliveries_per_s") for r in v] for k, v in sat.items()
                    }
                    report["saturation_runs"] = sat
                    lines += more
            finally:
                for cluster in clusters:
                    cluster.stop()
    finally:
        drop_postgres(name)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"nodes-paired-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=1, default=str))
    print("\n".join(["", *lines, f"results: {out}"]))


if __name__ == "__main__":
    main()
