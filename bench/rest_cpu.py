"""Server CPU per REST request: a room read, a message-history read and a ballot, beside
the floor of the stack (bench/rest_floor.py).

    .venv/bin/python bench/rest_cpu.py [--root DIR] [--requests 1000] [--runs 3] \
        [--database sqlite|postgres] [--no-floor]

Starts `veche serve` of the checkout at ``--root`` (default: this one) on a fresh database (a
SQLite file in a temporary folder, or with ``--database postgres`` a new database on
127.0.0.1:5432, dropped afterwards), prepares a room, a member and an open poll through the
CLI and the API, then sends ``--requests`` requests of each kind one after another from this
process and reads the server process's CPU time (user + system, /proc/PID/stat) before and
after each batch. The figure is CPU milliseconds per request in the server: the client's
own work and the wait for the network are not in it. Run it with `--root` on an older
checkout to compare (docs/benchmarks.md).

Each run then measures the floor the same way: a bare Starlette + SQLAlchemy app under
uvicorn, in its own process, on the same kind of database, doing the room read's two reads
(the token's user, the room with the caller's role) and a ballot's one INSERT. The runs
alternate Veche and the floor; the medians are printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
from procs import cpu_seconds, free_port  # this directory is on sys.path
from rest_floor import FLOOR_TOKEN, ROOM  # this directory is on sys.path

HERE = Path(__file__).resolve().parents[1]
FLOOR = HERE / "bench" / "rest_floor.py"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"  # trust auth, as bench/run uses
WARM_UP = 20  # requests of each kind before measuring: caches, compiled queries
ROOM_READ = "GET /rooms/{slug}"
BALLOT = "POST /rooms/{slug}/polls/{id}/ballots"


def _cli(root: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(root / ".venv/bin/python"), "-m", "server.cli", *args],
        cwd=root,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


Kinds = dict[str, tuple[str, str, dict[str, str] | None]]  # name: (method, path, body)


async def _measure(http: httpx.AsyncClient, pid: int, kinds: Kinds, count: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    for name, (method, path, body) in kinds.items():
        for _ in range(WARM_UP):
            (await http.request(method, path, json=body)).raise_for_status()
        before, started = cpu_seconds(pid), time.perf_counter()
        for n in range(count):
            choice = {"choice": ("yes", "no")[n % 2]} if body else None
            answer = await http.request(method, path, json=choice)
            if answer.status_code >= 300:
                raise RuntimeError(f"{name}: {answer.status_code} {answer.text}")
        elapsed = time.perf_counter() - started
        figures[name] = (cpu_seconds(pid) - before) / count * 1000
        figures[name + " (wall)"] = elapsed / count * 1000
    return figures


async def _wait_healthy(http: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the server did not become healthy in 30 s")


async def _postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _database(kind: str, folder: str, name: str) -> AsyncIterator[str]:
    """A fresh database's URL: a SQLite file in ``folder``, or a new PostgreSQL database on
    127.0.0.1:5432, dropped on the way out."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder}/{name}.db"
        return
    database = f"veche_rest_{name}_{uuid.uuid4().hex[:10]}"
    await _postgres_admin(f'CREATE DATABASE "{database}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    finally:
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


async def run_veche(root: Path, count: int, kind: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="veche-rest-cpu-") as folder:
        async with _database(kind, folder, "veche") as url:
            return await _run_veche(root, count, url)


async def _run_veche(root: Path, count: int, url: str) -> dict[str, float]:
    env = {
        **os.environ,
        "VECHE_DATABASE_URL": url,
        "VECHE_SECRET_KEY": "bench-only-signing-key-0123456789abcdef",
    }
    _cli(root, env, "db", "upgrade")
    _cli(root, env, "users", "create", "bench", "--password-stdin", stdin="a-long-password\n")
    token = _cli(root, env, "tokens", "issue", "bench").splitlines()[-1]
    port = free_port()
    command = [str(root / ".venv/bin/python"), "-m", "server.cli", "serve"]
    server = subprocess.Popen(  # noqa: ASYNC220 (started once, before the measurement)
        [*command, "--port", str(port), "--log-level", "warning"], cwd=root, env=env
    )
    auth = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=30
        ) as http:
            await _wait_healthy(http, server)
            room = {"slug": "bench", "title": "Общински съвет", "visibility": "private"}
            (await http.post("/api/v1/rooms", json=room)).raise_for_status()
            poll = await http.post(
                "/api/v1/rooms/bench/polls",
                json={"title": "Бюджет", "method": "yes_no_abstain", "allow_change": True},
            )
            poll.raise_for_status()
            ballots = f"/api/v1/rooms/bench/polls/{poll.json()['id']}/ballots"
            kinds: Kinds = {
                ROOM_READ: ("GET", "/api/v1/rooms/bench", None),
                "GET /rooms/{slug}/messages": ("GET", "/api/v1/rooms/bench/messages", None),
                BALLOT: ("POST", ballots, {"choice": "yes"}),
            }
            return await _measure(http, server.pid, kinds, count)
    finally:
        _stop(server)


async def run_floor(count: int, kind: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="veche-rest-floor-") as folder:
        async with _database(kind, folder, "floor") as url:
            return await _run_floor(count, url)


async def _run_floor(count: int, url: str) -> dict[str, float]:
    port = free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 (started once, before the measurement)
        [sys.executable, str(FLOOR), "--port", str(port), "--database-url", url]
    )
    auth = {"Authorization": f"Bearer {FLOOR_TOKEN}"}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=30
        ) as http:
            await _wait_healthy(http, server)
            kinds: Kinds = {
                ROOM_READ: ("GET", f"/rooms/{ROOM}", None),
                BALLOT: ("POST", f"/rooms/{ROOM}/ballots", {"choice": "yes"}),
            }
            return await _measure(http, server.pid, kinds, count)
    finally:
        _stop(server)


def _table(veche: dict[str, float], floor: dict[str, float] | None) -> str:
    lines = [f"{'ms of server CPU per request':<40} {'veche':>8} {'floor':>8}"]
    for name, value in veche.items():
        if name.endswith("(wall)"):
            continue
        other = "" if floor is None or name not in floor else f"{floor[name]:8.2f}"
        lines.append(f"{name:<40} {value:8.2f} {other:>8}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to measure")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--no-floor", action="store_true", help="measure Veche only")
    args = parser.parse_args()
    if not 1 <= args.requests <= 100_000 or not 1 <= args.runs <= 10:
        parser.error("--requests is 1 to 100,000 and --runs 1 to 10")
    runs: list[dict[str, float]] = []
    floors: list[dict[str, float]] = []
    for _ in range(args.runs):  # alternating, so a busy spell of the machine hits both
        runs.append(asyncio.run(run_veche(args.root.resolve(), args.requests, args.database)))
        if not args.no_floor:
            floors.append(asyncio.run(run_floor(args.requests, args.database)))
    medians = {name: statistics.median(r[name] for r in runs) for name in runs[0]}
    floor = (
        {name: statistics.median(r[name] for r in floors) for name in floors[0]} if floors else None
    )
    commit = subprocess.run(
        ["git", "-C", str(args.root), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    report = {
        "root": str(args.root),
        "commit": commit,
        "database": args.database,
        "runs": args.runs,
        "requests": args.requests,
        "median_ms": medians,
        "floor_median_ms": floor,
        "each_run_ms": runs,
        "floor_each_run_ms": floors,
    }
    print(json.dumps(report, indent=2))
    print(_table(medians, floor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
