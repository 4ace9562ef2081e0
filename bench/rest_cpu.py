"""Server CPU per REST request: a room read, a message-history read and a ballot.

    .venv/bin/python bench/rest_cpu.py [--root DIR] [--requests 1000] [--runs 3]

Starts `veche serve` of the checkout at ``--root`` (default: this one) on a fresh SQLite
database in a temporary folder, prepares a room, a member and an open poll through the CLI
and the API, then sends ``--requests`` requests of each kind one after another from this
process and reads the server process's CPU time (user + system, /proc/PID/stat) before and
after each batch. The figure is CPU milliseconds per request in the server: the client's
own work and the wait for the network are not in it. Run it with `--root` on an older
checkout to compare (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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


async def _measure(base: str, pid: int, token: str, count: int) -> dict[str, float]:
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=30) as http:
        poll = await http.post(
            "/api/v1/rooms/bench/polls",
            json={"title": "Бюджет", "method": "yes_no_abstain", "allow_change": True},
        )
        poll.raise_for_status()
        poll_id = poll.json()["id"]
        kinds = {
            "GET /rooms/{slug}": ("GET", "/api/v1/rooms/bench", None),
            "GET /rooms/{slug}/messages": ("GET", "/api/v1/rooms/bench/messages", None),
            "POST /rooms/{slug}/polls/{id}/ballots": (
                "POST",
                f"/api/v1/rooms/bench/polls/{poll_id}/ballots",
                {"choice": "yes"},
            ),
        }
        figures: dict[str, float] = {}
        for name, (method, path, body) in kinds.items():
            for _ in range(20):  # warm up: caches, compiled queries
                (await http.request(method, path, json=body)).raise_for_status()
            before, started = _cpu_seconds(pid), time.perf_counter()
            for n in range(count):
                choice = {"choice": ("yes", "no")[n % 2]} if body else None
                answer = await http.request(method, path, json=choice)
                if answer.status_code >= 300:
                    raise RuntimeError(f"{name}: {answer.status_code} {answer.text}")
            elapsed = time.perf_counter() - started
            figures[name] = (_cpu_seconds(pid) - before) / count * 1000
            figures[name + " (wall)"] = elapsed / count * 1000
        return figures


async def run_once(root: Path, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="veche-rest-cpu-") as folder:
        env = {
            **os.environ,
            "VECHE_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bench.db",
            "VECHE_SECRET_KEY": "bench-only-signing-key-0123456789abcdef",
        }
        _cli(root, env, "db", "upgrade")
        _cli(root, env, "users", "create", "bench", "--password-stdin", stdin="a-long-password\n")
        token = _cli(root, env, "tokens", "issue", "bench").splitlines()[-1]
        port = _free_port()
        command = [str(root / ".venv/bin/python"), "-m", "server.cli", "serve"]
        server = subprocess.Popen(  # noqa: ASYNC220 (started once, before the measurement)
            [*command, "--port", str(port), "--log-level", "warning"], cwd=root, env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base) as http:
                for _ in range(300):
                    try:
                        if (await http.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                room = {"slug": "bench", "title": "Общински съвет", "visibility": "private"}
                auth = {"Authorization": f"Bearer {token}"}
                (await http.post("/api/v1/rooms", json=room, headers=auth)).raise_for_status()
            return await _measure(base, server.pid, token, count)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to measure")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not 1 <= args.requests <= 100_000 or not 1 <= args.runs <= 10:
        parser.error("--requests is 1 to 100,000 and --runs 1 to 10")
    runs = [asyncio.run(run_once(args.root.resolve(), args.requests)) for _ in range(args.runs)]
    medians = {name: statistics.median(r[name] for r in runs) for name in runs[0]}
    commit = subprocess.run(
        ["git", "-C", str(args.root), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(json.dumps({"root": str(args.root), "commit": commit, "median_ms": medians}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
