"""The benchmark's summary (median, min and max per cell) and its Markdown tables."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
DASH = "\u2013"  # en dash, for ranges in the tables
START, END = "<!-- results:start -->", "<!-- results:end -->"

# loadgen_cpu_pct is the busiest load-generator process's; loadgen_cpu_sum_pct all of them
# (they differ with --loadgens K > 1).
LATENCY = ["p50_ms", "p95_ms", "p99_ms", "max_ms", "lost", "loadgen_cpu_pct"]
IDLE = ["rss_per_connection_kib", "connect_sync_seconds", "alive", "loadgen_cpu_pct"]
METRICS = {
    "fanout": [*LATENCY, "loadgen_cpu_sum_pct"],
    "durability": LATENCY,
    "saturation": [
        "sustained_deliveries_per_s",
        "measured_deliveries_per_s",
        "loadgen_cpu_pct",
        "loadgen_cpu_sum_pct",
    ],
    "connections": IDLE,
    "storm": IDLE,
    "coldopen": ["sync_ms", "length"],
    "nodes": [
        "p50_ms",
        "p99_ms",
        "remote_p99_ms",
        "lost",
        "sustained_deliveries_per_s",
        "redis_cpu_s",
        "redis_peak_mib",
        "loadgen_cpu_pct",
        "loadgen_cpu_sum_pct",
    ],
}


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if str(r.get("param", "")).startswith("prep"):
            continue
        groups.setdefault((r["bench_scenario"], r["param"], r["target"]), []).append(r)
    out = []
    for (scenario, param, target), rs in groups.items():
        entry: dict[str, Any] = {
            "scenario": scenario,
            "param": param,
            "target": target,
            "runs": len(rs),
            "errors": [r["error"] for r in rs if "error" in r],
        }
        for metric in METRICS.get(scenario, []) + (
            ["p50_ms", "p99_ms"] if param == "saved notice" else []
        ):
            values = [r[metric] for r in rs if isinstance(r.get(metric), int | float)]
            if values:
                entry[metric] = {
                    "median": statistics.median(values),
                    "min": min(values),
                    "max": max(values),
                }
        if scenario == "coldopen":
            entry["complete"] = all(r.get("complete") for r in rs)
        out.append(entry)
    return out


def fmt(stat: dict[str, float] | None, unit: str = "", digits: int = 1) -> str:
    if not stat:
        return "—"

    def f(v: float) -> str:
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{digits}f}"

    if stat["min"] == stat["max"]:
        return f"{f(stat['median'])}{unit}"
    return f"{f(stat['median'])}{unit} ({f(stat['min'])}{DASH}{f(stat['max'])})"


def user_command(argv: list[str]) -> str:
    """The command as the user typed it: without the --skip-peers that bench/run adds."""
    words, skip_next = ["bench/run"], False
    for word in argv:
        if skip_next:
            skip_next = False
        elif word == "--skip-peers":
            skip_next = True
        elif not word.startswith("--skip-peers="):
            words.append(word)
    return " ".join(words)


def render(summary: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        f"Measured {meta['date']} on {meta['machine']}; {meta['runs']} runs per cell, median "
        f"(min{DASH}max). Command: `"
        + meta["command"]
        + "`. Raw results: `"
        + meta["results"]
        + "`.",
        "",
    ]

    def table(
        title: str, scenario: str, cols: list[tuple[str, str, str, int]], note: str = ""
    ) -> None:
        entries = [e for e in summary if e["scenario"] == scenario]
        if not entries:
            return
        lines.extend([f"### {title}", ""])
        if note:
            lines.extend([note, ""])
        lines.extend(
            [
                "| target | case | " + " | ".join(c[0] for c in cols) + " | errors |",
                "| --- | --- | " + " | ".join("---" for _ in cols) + " | --- |",
            ]
        )
        for e in entries:
            cells = [fmt(e.get(key), unit, digits) for _, key, unit, digits in cols]
            errors = "; ".join(sorted(set(e["errors"])))[:120] or ""
            if scenario == "coldopen" and not e.get("complete"):
                errors = (errors + " state incomplete").strip()
            lines.append(
                f"| {e['target']} | {e['param']} | " + " | ".join(cells) + f" | {errors} |"
            )
        lines.append("")

    lat = [
        ("p50", "p50_ms", " ms", 2),
        ("p95", "p95_ms", " ms", 2),
        ("p99", "p99_ms", " ms", 2),
        ("max", "max_ms", " ms", 1),
        ("lost", "lost", "", 0),
        ("loadgen CPU", "loadgen_cpu_pct", " %", 0),
    ]
    cpu_sum = ("loadgen CPU sum", "loadgen_cpu_sum_pct", " %", 0)
    several = (
        "With more than one load generator (`--loadgens K`, named in the case), loadgen CPU is "
        "the busiest process's and the sum is all of theirs."
    )
    table(
        "Fan-out: 1 writer at 200 updates/s, edit-to-observer latency",
        "fanout",
        [*lat, cpu_sum],
        several,
    )
    table(
        "Saturation: 100 observers, rising write rate (p99 ≤ 100 ms, nothing lost)",
        "saturation",
        [
            ("sustained deliveries/s", "sustained_deliveries_per_s", "", 0),
            ("measured deliveries/s", "measured_deliveries_per_s", "", 0),
            ("loadgen CPU", "loadgen_cpu_pct", " %", 0),
            cpu_sum,
        ],
    )
    idle = [
        ("KiB/connection", "rss_per_connection_kib", "", 1),
        ("connect+sync all", "connect_sync_seconds", " s", 2),
        ("alive", "alive", "", 0),
        ("loadgen CPU", "loadgen_cpu_pct", " %", 0),
    ]
    table(
        "Idle connections: server RSS growth per connection, time to connect and sync all",
        "connections",
        idle,
    )
    table(
        "Connection storm with tokens: each client with its own API token, on a room's document",
        "storm",
        idle,
        "Veche: a private room's document (`VECHE_OPEN_DOCUMENTS` off), every client a member "
        "with its own API token (`?token=`), a server just started. Hocuspocus: the token in its "
        "Auth message, checked by an `onAuthenticate` hook against a Set in memory. "
        "y-websocket-server and pycrdt-websocket have no authentication: the same storm (the "
        "token in the URL, ignored) without any check.",
    )
    table(
        "Cold open after a restart: time until a new client is synced",
        "coldopen",
        [("sync", "sync_ms", " ms", 1), ("state length", "length", "", 0)],
    )
    table(
        "Durability cost: fan-out to 100 observers with persistence; Veche's update → saved notice",
        "durability",
        lat,
    )
    table(
        "Several nodes: 1 writer on node A at 200 updates/s, observers spread over the nodes "
        "(remote: those not on A); Redis's CPU time and peak memory during the run",
        "nodes",
        [
            ("p50", "p50_ms", " ms", 2),
            ("p99", "p99_ms", " ms", 2),
            ("p99 remote", "remote_p99_ms", " ms", 2),
            ("lost", "lost", "", 0),
            ("sustained deliveries/s", "sustained_deliveries_per_s", "", 0),
            ("Redis CPU", "redis_cpu_s", " s", 2),
            ("Redis peak", "redis_peak_mib", " MiB", 1),
            ("loadgen CPU", "loadgen_cpu_pct", " %", 0),
            cpu_sum,
        ],
    )
    return "\n".join(lines)


def write_docs(block: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    DOCS.write_text(f"{head}{START}\n{block}\n{END}{tail}")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    system = f"{platform.system()} {platform.release()}"
    versions = f"Node {node_version()}, Python {platform.python_version()}"
    return f"{model}, {nproc()} cores (nproc){mem}, {system}, {versions}"


def nproc() -> str:
    out = subprocess.run(["nproc"], capture_output=True, check=False)
    return out.stdout.decode().strip() or str(os.cpu_count())


def node_version() -> str:
    out = subprocess.run(["node", "--version"], capture_output=True, check=False)
    return out.stdout.decode().strip()
