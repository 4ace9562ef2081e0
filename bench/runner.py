"""Runs the benchmark scenarios against Veche and the peers; called by ``bench/run``.

Starts each server on a free loopback port (only the processes it starts, stopped by PID),
drives it with the Node load generator (``bench/loadgen/loadgen.mjs``, one process for all
clients), and writes ``bench/results/<stamp>.json`` and the tables of ``docs/benchmarks.md``.
Standard library only: it runs under Veche's venv but imports nothing of Veche.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nodes  # bench/nodes.py: the several-nodes scenario (this directory is on sys.path)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS = BENCH / ".peers"
LOADGEN = BENCH / "loadgen" / "loadgen.mjs"
DOCS = ROOT / "docs" / "benchmarks.md"
DASH = "\u2013"  # en dash, for ranges in the tables
START, END = "<!-- results:start -->", "<!-- results:end -->"

# Veche limits each connection to 500 writes/s (bursts of 1,000) by default; the benchmark
# writer sends far more, so the limit is raised for every Veche server the bench starts. The
# peers serve any document name to anyone; Veche does so with VECHE_OPEN_DOCUMENTS (admission
# still runs for every connection: the token-less path through the access check).
VECHE_ENV = {
    "VECHE_UPDATE_RATE": "1000000",
    "VECHE_UPDATE_BURST": "1000000",
    "VECHE_OPEN_DOCUMENTS": "true",
}


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Target:
    name: str
    family: str
    proto: str
    persistence: str
    scratch: Path
    postgres_url: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    data: Path = field(default_factory=Path)
    extra_env: dict[str, str] = field(default_factory=dict)
    reuse: bool = False  # --quick: a running server will do where a fresh one is not the point

    def base(self) -> str:
        suffix = "/yjs" if self.family == "veche" else ""
        return f"ws://127.0.0.1:{self.port}{suffix}"

    def command(self) -> tuple[list[str], dict[str, str]]:
        env = dict(os.environ)
        env["BENCH_PEERS_NODE"] = str(PEERS / "node")
        env.update(self.extra_env)
        port = str(self.port)
        if self.family == "veche":
            veche = str(Path(sys.executable).parent / "veche")
            url = self.postgres_url or f"sqlite+aiosqlite:///{self.data / 'veche.db'}"
            env.update(VECHE_ENV, VECHE_DATABASE_URL=url)
            env.update(self.extra_env)
            return [veche, "serve", "--port", port], env
        if self.family == "hocuspocus":
            extra = [str(self.data / "hocuspocus.sqlite")] if self.persistence != "memory" else []
            return ["node", str(BENCH / "peers" / "hocuspocus.mjs"), port, *extra], env
        if self.family == "y-websocket-server":
            extra = [str(self.data / "leveldb")] if self.persistence != "memory" else []
            return ["node", str(BENCH / "peers" / "y_websocket_server.mjs"), port, *extra], env
        python = str(PEERS / "pycrdt-venv" / "bin" / "python")
        extra = [str(self.data / "ystore.db")] if self.persistence != "memory" else []
        return [python, str(BENCH / "peers" / "pycrdt_server.py"), port, *extra], env

    def start(self) -> None:
        self.launch()
        self.wait_listening()

    def launch(self) -> None:
        """Starts the server without waiting for it (several nodes start side by side)."""
        if not self.port:
            self.port = free_port()
        self.data = self.scratch / self.name
        self.data.mkdir(parents=True, exist_ok=True)
        cmd, env = self.command()
        logfile = (self.data / "server.log").open("ab")
        self.proc = subprocess.Popen(
            cmd, cwd=self.data, env=env, stdout=logfile, stderr=logfile, start_new_session=True
        )

    def wait_listening(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}; "
                    f"see {self.data / 'server.log'}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{self.name} did not listen on {self.port} within 60 s")
        time.sleep(0.5)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def fresh(self) -> None:
        """A newly started server for a measurement; with ``reuse``, the running one."""
        if not (self.reuse and self.running()):
            self.restart()


def loadgen(target: Target, scenario: str, timeout: float, **options: object) -> dict[str, Any]:
    cmd = ["node", str(LOADGEN), scenario, "--base", target.base(), "--proto", target.proto]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    cmd += ["--hard-timeout", str(int(timeout))]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=timeout + 15, check=False)
    except subprocess.TimeoutExpired:
        return {"scenario": scenario, "error": f"loadgen timed out after {timeout} s"}
    lines = out.stdout.decode().strip().splitlines()
    if not lines:
        return {"scenario": scenario, "error": out.stderr.decode()[-500:] or "no output"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def wait_quiet(path: Path, quiet: float = 3.0, limit: float = 90.0) -> float:
    """Waits until nothing under ``path`` changes for ``quiet`` seconds (stores flushing)."""

    def stamp() -> tuple[int, int]:
        files = [p for p in path.rglob("*") if p.is_file() and p.name != "server.log"]
        return (
            sum(p.stat().st_size for p in files),
            max((p.stat().st_mtime_ns for p in files), default=0),
        )

    t0 = time.monotonic()
    last, since = stamp(), time.monotonic()
    while time.monotonic() - t0 < limit:
        time.sleep(0.5)
        now = stamp()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return time.monotonic() - t0


@dataclass
class Plan:
    runs: int
    quick: bool
    fanout_n: list[int]
    fanout_duration: float
    fanout_drain: float
    connections_n: list[int]
    saturation_steps: str
    cold_updates: int
    cold_bytes: int


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
                )
                add(f"{n} observers", run, r)
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
            add("100 observers" if not plan.quick else "10 observers", run, r)
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
        "loadgen_cpu_pct",
    )
    return " ".join(
        f"{k}={r[k]:.4g}" if isinstance(r.get(k), float) else f"{k}={r[k]}" for k in keys if k in r
    )


TARGETS = {
    # name: (family, proto, persistence)
    "veche": ("veche", "yws", "sqlite"),
    "veche-postgres": ("veche", "yws", "postgres"),
    "hocuspocus": ("hocuspocus", "hocuspocus", "memory"),
    "hocuspocus-sqlite": ("hocuspocus", "hocuspocus", "sqlite"),
    "y-websocket-server": ("y-websocket-server", "yws", "memory"),
    "y-websocket-server-leveldb": ("y-websocket-server", "yws", "leveldb"),
    "pycrdt-websocket": ("pycrdt-websocket", "yws", "memory"),
    "pycrdt-websocket-sqlite": ("pycrdt-websocket", "yws", "sqlite"),
    # several nodes sharing a Redis (bench/nodes.py)
    "veche-nodes": ("veche", "yws", "postgres"),
    "hocuspocus-redis": ("hocuspocus", "hocuspocus", "memory"),
}
# Which targets each scenario compares: in-memory peers for the transport, stores for the rest.
SCENARIO_TARGETS = {
    "fanout": ["veche", "hocuspocus", "y-websocket-server", "pycrdt-websocket"],
    "saturation": ["veche", "hocuspocus", "y-websocket-server", "pycrdt-websocket"],
    "connections": ["veche", "hocuspocus", "y-websocket-server", "pycrdt-websocket"],
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


def postgres_exec(sql: str) -> subprocess.CompletedProcess[bytes]:
    """Runs one statement on the admin database (asyncpg from Veche's venv)."""
    code = (
        "import asyncio, asyncpg, sys\n"
        "async def m():\n"
        "    c = await asyncpg.connect('postgresql://postgres@127.0.0.1:5432/test', timeout=5)\n"
        "    await c.execute(sys.argv[1])\n"
        "    await c.close()\n"
        "asyncio.run(m())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, sql], capture_output=True, timeout=30, check=False
    )


def create_postgres() -> tuple[str | None, str | None]:
    """Creates a scratch PostgreSQL database; returns (URL, name) or (None, error)."""
    name = f"veche_bench_{uuid.uuid4().hex[:10]}"
    out = postgres_exec(f'CREATE DATABASE "{name}"')
    if out.returncode != 0:
        return None, out.stderr.decode()[-300:]
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


def drop_postgres(name: str) -> None:
    postgres_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# summary and docs

METRICS = {
    "fanout": ["p50_ms", "p95_ms", "p99_ms", "max_ms", "lost", "loadgen_cpu_pct"],
    "durability": ["p50_ms", "p95_ms", "p99_ms", "max_ms", "lost", "loadgen_cpu_pct"],
    "saturation": ["sustained_deliveries_per_s", "measured_deliveries_per_s", "loadgen_cpu_pct"],
    "connections": ["rss_per_connection_kib", "connect_sync_seconds", "alive", "loadgen_cpu_pct"],
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

    def table(title: str, scenario: str, cols: list[tuple[str, str, str, int]]) -> None:
        entries = [e for e in summary if e["scenario"] == scenario]
        if not entries:
            return
        lines.extend(
            [
                f"### {title}",
                "",
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
    table("Fan-out: 1 writer at 200 updates/s, edit-to-observer latency", "fanout", lat)
    table(
        "Saturation: 100 observers, rising write rate (p99 ≤ 100 ms, nothing lost)",
        "saturation",
        [
            ("sustained deliveries/s", "sustained_deliveries_per_s", "", 0),
            ("measured deliveries/s", "measured_deliveries_per_s", "", 0),
            ("loadgen CPU", "loadgen_cpu_pct", " %", 0),
        ],
    )
    table(
        "Idle connections: server RSS growth per connection, time to connect and sync all",
        "connections",
        [
            ("KiB/connection", "rss_per_connection_kib", "", 1),
            ("connect+sync all", "connect_sync_seconds", " s", 2),
            ("alive", "alive", "", 0),
            ("loadgen CPU", "loadgen_cpu_pct", " %", 0),
        ],
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run")
    parser.add_argument(
        "--quick", action="store_true", help="tiny N, 1 run, servers reused (CI smoke)"
    )
    parser.add_argument("--only", default="", help="comma list of families or targets, e.g. veche")
    parser.add_argument("--scenarios", default="fanout,saturation,connections,coldopen,durability")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--out", default=None, help="results JSON path")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument(
        "--skip-peers", default="", help="targets not runnable here (set by bench/run)"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    plan = Plan(
        runs=args.runs or (1 if quick else 3),
        quick=quick,
        fanout_n=[5] if quick else [10, 100, 1000],
        fanout_duration=1 if quick else 3,
        fanout_drain=2 if quick else 5,
        connections_n=[20] if quick else [1000, 5000],
        saturation_steps="200,400" if quick else "500,1000,2000,3000,4000,6000,8000",
        cold_updates=200 if quick else 20000,
        cold_bytes=20000 if quick else 1_000_000,
    )
    only = {s for s in args.only.split(",") if s}
    skip = {s for s in args.skip_peers.split(",") if s}
    scenarios = [s for s in args.scenarios.split(",") if s]
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
