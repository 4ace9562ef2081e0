"""Where the memory of an idle connection goes: a tracemalloc profile of `veche serve`.

    .venv/bin/python bench/connection_memory.py [--count 1000] [--tokens] [--top 20]

The server runs in a child process with tracemalloc on (one frame per allocation, so the
sites are the lines that allocate). One client connects and leaves first, so that what the
first connection of a document costs (the document itself, lazy imports, compiled
statements) is in the baseline; then ``count`` clients of the load generator connect, sync
and stay idle (`loadgen.mjs connections`, or `storm` with a token each on a room document with
``--tokens``). A snapshot is taken before and while they are connected; the difference,
grouped by allocating line and by module, is printed per connection. Python's allocators
only: what C code allocates with plain malloc, the allocator's unused pages and the kernel's
socket buffers are not in it (`bench/run`'s RSS figures hold all but the last; tracemalloc's
own bookkeeping would distort an RSS reading here, so none is made).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections import Counter
from pathlib import Path

from procs import free_port  # this directory is on sys.path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LOADGEN = BENCH / "loadgen" / "loadgen.mjs"
POPULATION = BENCH / "population.py"

# Runs in the server's process: tracemalloc on, a snapshot written on each SIGUSR1.
SERVER = """
import signal, sys, tracemalloc
tracemalloc.start(1)
shots = []
def shoot(*_):
    path = f"{sys.argv[1]}.{len(shots)}"
    tracemalloc.take_snapshot().dump(path)
    shots.append(path)
    open(path + ".done", "w").close()
signal.signal(signal.SIGUSR1, shoot)
from server.cli import main
sys.exit(main(["serve", "--port", sys.argv[2]]))
"""


def _connections(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith("veche_connections "):
                return float(line.split()[1])
    return 0.0


def _snapshot(proc: subprocess.Popen[bytes], base: Path, index: int) -> tracemalloc.Snapshot:
    done = Path(f"{base}.{index}.done")
    proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while not done.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the server wrote no snapshot")
        time.sleep(0.2)
    return tracemalloc.Snapshot.load(f"{base}.{index}")


def _wait_for(port: int, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if _connections(port) >= count:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{count} connections were not open within 120 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--tokens", action="store_true", help="a token each, on a room document")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="veche-memory-"))
    database = f"sqlite+aiosqlite:///{scratch / 'veche.db'}"
    port = free_port()
    env = dict(os.environ, VECHE_DATABASE_URL=database, PYTHONPATH=str(ROOT))
    env["VECHE_OPEN_DOCUMENTS"] = "false" if args.tokens else "true"
    log = (scratch / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(scratch / "shot"), str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        _wait_for(port, 0, proc)
        gen = ["node", str(LOADGEN), "--base", f"ws://127.0.0.1:{port}/yjs", "--proto", "veche"]
        doc = "memory"
        if args.tokens:
            out = scratch / "people.json"
            populate = [sys.executable, str(POPULATION), "--database-url", database]
            populate += ["--users", str(args.count + 1), "--room", "memory", "--documents", "1"]
            subprocess.run(
                [*populate, "--out", str(out)],
                check=True,
                env=env,
            )
            people = json.loads(out.read_text())
            tokens = scratch / "tokens.txt"
            tokens.write_text("".join(t + "\n" for t in people["tokens"]))
            doc = people["documents"][0]
            gen = [gen[0], gen[1], "storm", *gen[2:], "--tokens", str(tokens)]
        else:
            gen = [gen[0], gen[1], "connections", *gen[2:]]
        gen += ["--doc", doc, "--hard-timeout", "200"]
        # the document's first connection, and the statements the admission compiles
        subprocess.run([*gen, "--count", "2", "--settle", "0"], check=True, capture_output=True)
        time.sleep(1)
        before = _snapshot(proc, scratch / "shot", 0)
        held = subprocess.Popen(
            [*gen, "--count", str(args.count), "--settle", "20000"], stdout=subprocess.PIPE
        )
        _wait_for(port, args.count, proc)
        time.sleep(2)
        during = _snapshot(proc, scratch / "shot", 1)
        held.terminate()
        held.wait(timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    _report(before, during, args.count, args.top)
    return 0


def _report(
    before: tracemalloc.Snapshot, during: tracemalloc.Snapshot, count: int, top: int
) -> None:
    diff = during.compare_to(before, "lineno")
    total = sum(stat.size_diff for stat in diff)
    print(f"{count} idle connections: +{total / 1024 / count:.2f} KiB each through Python's")
    print("allocators (tracemalloc; by allocating line, C code under its caller):")
    for stat in sorted(diff, key=lambda s: -s.size_diff)[:top]:
        frame = stat.traceback[0]
        where = f"{_short(frame.filename)}:{frame.lineno}"
        per = stat.size_diff / count
        print(f"  {per:8.0f} B  {stat.count_diff / count:5.2f} blocks  {where}")
    by_module: Counter[str] = Counter()
    for stat in diff:
        by_module[_short(stat.traceback[0].filename)] += stat.size_diff
    print("by file:")
    for name, size in by_module.most_common(top):
        print(f"  {size / count:8.0f} B  {name}")


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.replace(str(ROOT) + "/", "")


if __name__ == "__main__":
    sys.exit(main())
