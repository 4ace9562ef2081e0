"""Crowd: a thousand people in one live room — ballots, chat fan-out and resume.

    .venv/bin/python bench/crowd.py [--people 1000] [--runs 3] [--database sqlite|postgres|both]
                                    [--quick] [--profile] [--scenarios voters,messages,resume]

Per database and run: a fresh database (a SQLite file, or a new PostgreSQL database dropped
afterwards), `veche db upgrade`, ``--people`` users who are all members of one private room
(bench/population.py), and `veche serve` of this checkout on a free loopback port. Then:

- **voters**: every member on a /live/ socket; the owner opens a poll; every member casts a
  ballot over REST, the casts spread evenly over 2 s; cast latency, errors, the count read
  back (the poll's `ballots`, then the decision record of its close: turnout, voters, each
  once), each socket's time to a `poll.tally` showing every ballot, server CPU per ballot.
  The same casts against a bare Starlette + SQLAlchemy app (bench/floor_app.py): the floor.
- **messages**: every member connected; a participant posts at 20 messages/s for 10 s over
  its socket; send → receipt latency at every other member, losses, server CPU. Beside it,
  bench/loadgen/loadgen.mjs's /yjs/ fan-out at the same rate and crowd.
- **resume**: one member leaves, 1,000 messages are posted, it comes back with `since=`; time
  until it holds every missed event.

The clients are one Node process (bench/loadgen/crowd.mjs). Only the processes started here
are stopped, by PID. Results: bench/results/crowd-<stamp>.json and a summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# bench/ is on sys.path (this file's directory)
import crowd_report
import floor_app
import httpx
from crowd_procs import (
    BENCH,
    PYTHON,
    ROOT,
    Profiler,
    Server,
    database,
    ensure_node_modules,
    log,
    node,
)
from population import populate
from procs import TICKS, cpu_seconds

CROWD_JS = BENCH / "loadgen" / "crowd.mjs"
LOADGEN_JS = BENCH / "loadgen" / "loadgen.mjs"
SECRET_KEY = "bench-only-signing-key-0123456789abcdef"


@dataclass(frozen=True)
class Plan:
    people: int
    runs: int
    spread_ms: int = 2000  # the casts are spread evenly over this
    rate: int = 20  # messages/s
    duration: float = 10.0  # seconds of messages
    resume_events: int = 1000
    resume_rounds: int = 3  # per run
    profile: bool = False  # py-spy during the measured phases (slows the server a little)
    scenarios: tuple[str, ...] = ("voters", "messages", "resume")


def veche_env(url: str, people: int) -> dict[str, str]:
    """The environment of `veche` commands. Limits raised for the bench: the poster writes
    20 messages/s and the resume scenario 1,000 as fast as it can (2/s, bursts of 10 by
    default); a room holds ``people`` members (1,000 by default); /yjs/ serves documents
    outside rooms for bench/loadgen/loadgen.mjs."""
    return {
        **os.environ,
        "VECHE_DATABASE_URL": url,
        "VECHE_SECRET_KEY": SECRET_KEY,
        "VECHE_LIVE_WRITE_RATE": "1000000",
        "VECHE_LIVE_WRITE_BURST": "1000000",
        "VECHE_MAX_ROOM_CONNECTIONS": str(max(1000, people + 10)),
        "VECHE_OPEN_DOCUMENTS": "true",
    }


def read_back(base: str, owner: str, room: str, poll_id: int) -> dict[str, Any]:
    """The count as the API tells it: the poll's `ballots`, then its close's decision record
    (turnout, and the voters and ballots it lists: each voter once)."""
    auth = {"Authorization": f"Bearer {owner}"}
    with httpx.Client(base_url=f"{base}/api/v1/rooms/{room}", headers=auth, timeout=60) as http:
        poll = http.get(f"/polls/{poll_id}")
        poll.raise_for_status()
        closed = http.post(f"/polls/{poll_id}/close")
        closed.raise_for_status()
        record = closed.json()
    voters = record.get("voters") or []
    ballots = record.get("ballots") or []
    return {
        "poll_ballots": poll.json()["ballots"],
        "record_turnout": record.get("turnout"),
        "record_voters": len(voters),
        "record_distinct_voters": len(set(voters)),
        "record_ballots": len(ballots),
        "record_electorate": record.get("electorate_size"),
    }


def yjs_fanout(server: Server, people: int, plan: Plan) -> dict[str, Any]:
    """loadgen.mjs's /yjs/ fan-out at the same crowd and rate; the server's CPU is sampled
    meanwhile and taken over the loadgen's send + drain window (which ends when it exits)."""
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.monotonic(), cpu_seconds(server.pid)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    base = f"ws://127.0.0.1:{server.port}/yjs"
    args = ["fanout", "--base", base, "--proto", "yws", "--observers", str(people)]
    args += ["--rate", str(plan.rate), "--duration", str(plan.duration), "--drain", "5"]
    try:
        result = node(LOADGEN_JS, args, 300)
        ended = time.monotonic()
    finally:
        done.set()
        sampler.join(timeout=5)
    rate = result.get("deliveries_per_s")
    if isinstance(rate, int | float) and rate > 0 and samples:
        window = result["delivered"] / rate
        start = min(samples, key=lambda s: abs(s[0] - (ended - window)))
        end = min(samples, key=lambda s: abs(s[0] - ended))
        result["server_cpu_s"] = round(end[1] - start[1], 3)
        result["server_cpu_pct"] = round((end[1] - start[1]) / window * 100, 1)
        result["server_cpu_ms_per_message"] = round((end[1] - start[1]) / result["writes"] * 1e3, 2)
    return result


def run_once(kind: str, run: int, plan: Plan, scratch: Path, prefix: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"database": kind, "run": run, "load_before": os.getloadavg()}
    row["checkout"] = crowd_report.checkout()  # others may change the server between runs
    took: dict[str, float] = {}
    row["seconds"] = took
    last = [time.monotonic()]

    def lap(name: str) -> None:
        took[name] = round(time.monotonic() - last[0], 1)
        last[0] = time.monotonic()

    with database(kind, scratch, f"veche-{run}") as url:
        env = veche_env(url, plan.people)
        subprocess.run(
            [str(PYTHON), "-m", "server.cli", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        people = asyncio.run(populate(url, users=plan.people, room="crowd", documents=1))
        people_file = scratch / f"people-{kind}-{run}.json"
        people_file.write_text(json.dumps(people.as_json()))
        lap("prepare")
        command = [str(PYTHON), "-m", "server.cli", "serve", "--log-level", "warning"]
        files = Path(f"{prefix}-{kind}-{run}")  # the servers' logs and profiles, kept
        veche = Server("veche", command, env, Path(f"{files}-veche.log"))
        row["logs"] = [str(veche.logfile)]
        profiler = Profiler(plan.profile, files)
        try:
            veche.wait_ready("/healthz")
            lap("start")
            common = ["--base", veche.base, "--people", str(people_file)]
            common += ["--server-pid", str(veche.pid), "--clk-tck", str(TICKS)]
            common += ["--phase-wait-ms", "700" if plan.profile else "0"]

            def phase(event: str, name: str) -> None:
                (profiler.start if event == "start" else lambda _pid, n: profiler.stop(n))(
                    veche.pid, name
                )

            if "voters" in plan.scenarios:
                spread = ["--spread-ms", str(plan.spread_ms)]
                voters = node(CROWD_JS, ["voters", *common, *spread], 600, phase)
                row["voters"] = voters
                if isinstance(voters.get("poll_id"), int):
                    owner = people.tokens[0]
                    row["read_back"] = read_back(veche.base, owner, "crowd", voters["poll_id"])
                lap("voters")
                veche.wait_idle()
                row["floor"] = run_floor(kind, run, plan, scratch, people.tokens, profiler, files)
                lap("floor")
            if "messages" in plan.scenarios:
                veche.wait_idle()
                timing = ["--rate", str(plan.rate), "--duration", str(plan.duration)]
                row["messages"] = node(CROWD_JS, ["messages", *common, *timing], 600, phase)
                lap("messages")
                veche.wait_idle()
                row["yjs_fanout"] = yjs_fanout(veche, plan.people, plan)
                lap("yjs_fanout")
            if "resume" in plan.scenarios:
                veche.wait_idle()
                rounds = ["--count", str(plan.resume_events), "--rounds", str(plan.resume_rounds)]
                row["resume"] = node(CROWD_JS, ["resume", *common, *rounds], 600, phase)
                lap("resume")
        finally:
            profiler.finish()
            veche.stop()
        if profiler.files:
            row["profiles"] = {
                name: {"file": path, "top": crowd_report.profile_summary(Path(path))}
                for name, path in profiler.files.items()
            }
    row["load_after"] = os.getloadavg()
    return row


def run_floor(
    kind: str,
    run: int,
    plan: Plan,
    scratch: Path,
    tokens: list[str],
    profiler: Profiler,
    files: Path,
) -> dict[str, Any]:
    """The same casts against bench/floor_app.py on a database of its own."""
    with database(kind, scratch, f"floor-{run}") as url:
        asyncio.run(floor_app.prepare(url, tokens))
        people_file = scratch / f"floor-people-{kind}-{run}.json"
        people_file.write_text(json.dumps({"room": "floor", "tokens": tokens}))
        command = [str(PYTHON), "-m", "uvicorn", "floor_app:app", "--app-dir", str(BENCH)]
        command += ["--host", "127.0.0.1", "--loop", "uvloop", "--log-level", "warning"]
        env = {**os.environ, "FLOOR_DATABASE_URL": url}
        floor = Server("floor", command, env, Path(f"{files}-floor.log"))
        try:
            floor.wait_ready("/")
            args = ["floor", "--base", floor.base, "--people", str(people_file), "--poll", "1"]
            args += ["--server-pid", str(floor.pid), "--clk-tck", str(TICKS)]
            args += ["--spread-ms", str(plan.spread_ms)]
            args += ["--phase-wait-ms", "700" if plan.profile else "0"]

            def phase(event: str, name: str) -> None:
                (profiler.start if event == "start" else lambda _pid, n: profiler.stop(n))(
                    floor.pid, name
                )

            result = node(CROWD_JS, args, 300, phase)
        finally:
            profiler.finish()
            floor.stop()
        result["read_back"] = asyncio.run(floor_app.count(url, 1))
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=None, help="members (1000; --quick 20)")
    parser.add_argument("--runs", type=int, default=None, help="runs per database (3; --quick 1)")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="20 people, short phases, 1 run")
    parser.add_argument("--profile", action="store_true", help="py-spy the measured phases")
    parser.add_argument("--scenarios", default="voters,messages,resume")
    parser.add_argument("--out", type=Path, default=None, help="results JSON path")
    args = parser.parse_args(argv)
    quick = args.quick
    scenarios = tuple(s for s in args.scenarios.split(",") if s)
    if not set(scenarios) <= {"voters", "messages", "resume"}:
        parser.error("--scenarios: voters, messages, resume")
    plan = Plan(
        people=args.people or (20 if quick else 1000),
        runs=args.runs or (1 if quick else 3),
        spread_ms=1000 if quick else 2000,
        duration=1.0 if quick else 10.0,
        resume_events=100 if quick else 1000,
        resume_rounds=2 if quick else 3,
        profile=args.profile,
        scenarios=scenarios,
    )
    if not 2 <= plan.people <= 5000 or not 1 <= plan.runs <= 10:
        parser.error("--people is 2 to 5,000 and --runs 1 to 10")
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    out = args.out or results / f"crowd-{'quick-' if quick else ''}{stamp}.json"
    ensure_node_modules()
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="veche-crowd-") as folder:
        for kind in kinds:
            for run in range(plan.runs):
                log(f"== crowd {kind} run {run + 1}/{plan.runs}: {plan.people} people")
                try:
                    row = run_once(kind, run, plan, Path(folder), results / f"crowd-{stamp}")
                except Exception as exc:  # one database failing must not lose the other's runs
                    row = {"database": kind, "run": run, "error": f"{type(exc).__name__}: {exc}"}
                log(crowd_report.one_line(row))
                rows.append(row)
    summary = crowd_report.summarize(rows, plan.people)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": crowd_report.machine(),
        "checkout": crowd_report.checkout(),
        "command": " ".join(["bench/crowd.py", *argv]),
        "seconds": round(time.monotonic() - started, 1),
        "plan": asdict(plan),
    }
    out.write_text(json.dumps({"meta": meta, "summary": summary, "rows": rows}, indent=1))
    print(crowd_report.render(summary, meta, rows))
    print(f"\nresults: {out}")
    failed = [f"{r['database']}#{r['run']}: {e}" for r in rows for e in crowd_report.errors(r)]
    for failure in failed:
        log(f"FAILED {failure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
