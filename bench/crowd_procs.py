"""Processes of the crowd benchmark (bench/crowd.py): the servers it starts and stops by PID,
fresh databases, the Node clients, and py-spy on the server during the measured phases."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from procs import cpu_seconds, free_port, stop  # this directory is on sys.path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = Path(sys.executable)  # Veche's venv: `veche`, uvicorn and py-spy are beside it
LOADGEN = BENCH / "loadgen"
# the admin database that fresh ones are created from (SQLAlchemy's or asyncpg's URL form)
POSTGRES = os.environ.get("VECHE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


class Server:
    """One server process started here, stopped by its PID."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logfile: Path):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logfile = logfile
        with logfile.open("ab") as out:
            self.proc = subprocess.Popen(
                [*command, "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self.pid = self.proc.pid

    def wait_ready(self, path: str, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}: {self.logfile}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + path, timeout=2).status_code < 500:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {limit} s: {self.logfile}")

    def wait_idle(self, below: float = 0.05, limit: float = 60.0) -> float:
        """Waits until the server uses less than ``below`` of a core over 0.5 s (it is done
        with what the last scenario left, e.g. departures); returns the seconds waited."""
        start = time.monotonic()
        while time.monotonic() - start < limit:
            before = cpu_seconds(self.pid)
            time.sleep(0.5)
            if cpu_seconds(self.pid) - before < below * 0.5:
                break
        return round(time.monotonic() - start, 2)

    def stop(self) -> None:
        stop(self.proc, grace=20)


def postgres(sql: str) -> str | None:
    """Runs one statement on the admin database (as bench/runner.py does); the error or None."""
    code = (
        "import asyncio, asyncpg, sys\n"
        "async def main():\n"
        "    c = await asyncpg.connect(sys.argv[2], timeout=5)\n"
        "    await c.execute(sys.argv[1])\n"
        "    await c.close()\n"
        "asyncio.run(main())"
    )
    admin = POSTGRES.replace("postgresql+asyncpg://", "postgresql://", 1)
    done = subprocess.run(
        [str(PYTHON), "-c", code, sql, admin], capture_output=True, text=True, timeout=60
    )
    return None if done.returncode == 0 else done.stderr.strip()[-300:]


@contextlib.contextmanager
def database(kind: str, scratch: Path, name: str) -> Iterator[str]:
    """A fresh database URL: a SQLite file under ``scratch``, or a PostgreSQL database that
    is dropped on the way out."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{scratch / name}.db"
        return
    pg_name = f"veche_crowd_{uuid.uuid4().hex[:10]}"
    failed = postgres(f'CREATE DATABASE "{pg_name}"')
    if failed is not None:
        raise RuntimeError(f"PostgreSQL unavailable: {failed}")
    try:
        server = POSTGRES.split("://", 1)[1].rsplit("/", 1)[0]
        yield f"postgresql+asyncpg://{server}/{pg_name}"
    finally:
        postgres(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def ensure_node_modules(limit: float = 120.0) -> None:
    """bench/loadgen's npm packages, installed as bench/run does when they are missing: into a
    folder of their own first, then moved into place in one rename, so that a bench/run
    starting meanwhile sees either none or all of them."""
    wanted = ("ws", "yjs", "lib0")
    modules = LOADGEN / "node_modules"
    deadline = time.monotonic() + limit
    while modules.exists() and time.monotonic() < deadline:
        if all((modules / name / "package.json").exists() for name in wanted):
            return
        time.sleep(1)  # being installed by someone else
    if modules.exists():
        raise RuntimeError(f"{modules} is incomplete: run bench/run once")
    with tempfile.TemporaryDirectory(dir=LOADGEN, prefix=".npm-") as folder:
        for name in ("package.json", "package-lock.json"):
            shutil.copy(LOADGEN / name, Path(folder) / name)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            check=True,
            timeout=limit,
            stdout=sys.stderr,
        )
        with contextlib.suppress(OSError):  # someone else's arrived first: theirs will do
            os.rename(Path(folder) / "node_modules", modules)


class Profiler:
    """py-spy on a server during the phases crowd.mjs announces (``phase start|end NAME``);
    started and interrupted here, by PID."""

    def __init__(self, enabled: bool, prefix: Path) -> None:
        self.enabled, self.prefix = enabled, prefix
        self.files: dict[str, str] = {}
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, pid: int, name: str) -> None:
        if not self.enabled or name in self.files:
            return
        out = Path(f"{self.prefix}-{name}.pyspy.txt")
        rate = "1000" if name.startswith("resume") else "200"  # a replay lasts ~0.1 s
        command = [str(PYTHON.parent / "py-spy"), "record", "-p", str(pid), "-d", "300"]
        command += ["-r", rate, "-f", "raw", "--nonblocking", "-o", str(out)]
        self._procs[name] = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.files[name] = str(out)

    def stop(self, name: str) -> None:
        proc = self._procs.pop(name, None)
        if proc is None:
            return
        proc.send_signal(signal.SIGINT)  # py-spy writes what it has and exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def finish(self) -> None:
        for name in list(self._procs):
            self.stop(name)


def node(
    script: Path, args: list[str], timeout: float, phase: Callable[[str, str], None] | None = None
) -> dict[str, Any]:
    """Runs a Node client to its one JSON line; ``phase`` hears its `phase start|end NAME`
    lines (as the words after `phase`)."""
    command = ["node", str(script), *args, "--hard-timeout", str(int(timeout))]
    proc = subprocess.Popen(
        command, cwd=script.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    errors: list[str] = []
    output: list[str] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            words = line.split()
            if phase is not None and len(words) == 3 and words[0] == "phase":
                phase(words[1], words[2])
            else:
                errors.append(line.rstrip())

    def read_stdout() -> None:
        assert proc.stdout is not None
        output.append(proc.stdout.read())

    # both pipes read by threads of their own, to their end (the process closes them)
    readers = [threading.Thread(target=f, daemon=True) for f in (read_stderr, read_stdout)]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=timeout + 15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return {"error": f"{script.name} {args[0]}: timed out after {timeout} s"}
    finally:
        for reader in readers:
            reader.join(timeout=10)
    out = "".join(output)
    lines = out.strip().splitlines()
    if not lines:
        return {"error": "\n".join(errors[-20:]) or "no output"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result
