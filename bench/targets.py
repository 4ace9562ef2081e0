"""The benchmark's targets: each server under test, started on a free loopback port and stopped
by its PID (only the processes the bench starts), and the load generator that drives it.
Standard library only, like the runner.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procs import free_port, stop  # this directory is on sys.path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS = BENCH / ".peers"
LOADGEN = BENCH / "loadgen" / "loadgen.mjs"

# Veche limits each connection to 500 writes/s (bursts of 1,000) by default; the benchmark
# writer sends far more, so the limit is raised for every Veche server the bench starts. The
# peers serve any document name to anyone; Veche does so with VECHE_OPEN_DOCUMENTS (admission
# still runs for every connection: the token-less path through the access check). The storm
# scenario turns it off (bench/storm.py): only room documents, opened with a token.
VECHE_ENV = {
    "VECHE_UPDATE_RATE": "1000000",
    "VECHE_UPDATE_BURST": "1000000",
    "VECHE_OPEN_DOCUMENTS": "true",
}


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


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

    def database_url(self) -> str:
        """Veche's database: the scratch SQLite file, or the run's PostgreSQL database."""
        return self.postgres_url or f"sqlite+aiosqlite:///{self.data / 'veche.db'}"

    def command(self) -> tuple[list[str], dict[str, str]]:
        env = dict(os.environ)
        env["BENCH_PEERS_NODE"] = str(PEERS / "node")
        env.update(self.extra_env)
        port = str(self.port)
        if self.family == "veche":
            veche = str(Path(sys.executable).parent / "veche")
            env.update(VECHE_ENV, VECHE_DATABASE_URL=self.database_url())
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
        stop(self.proc)
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
