"""Smoke run of `bench/connection_memory.py` (20 idle connections with a token each), so
that the profile docs/benchmarks.md quotes can still be made. No size is asserted: only that
the snapshots were taken while the connections were open, which the sockets' own objects
show."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.scripts import require

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_the_memory_profile_sees_the_open_sockets() -> None:
    require("node")
    profile = [sys.executable, str(ROOT / "bench" / "connection_memory.py"), "--tokens"]
    done = subprocess.run(
        [*profile, "--count", "20", "--top", "60"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("20 idle connections: +"), done.stdout
    by_file = done.stdout.split("by file:\n", 1)[1]
    lines = re.findall(r"^\s+(-?\d+) B\s+(\S+)$", by_file, re.M)
    sizes = {name: float(size) for size, name in lines}
    # each open socket holds its frame layer and its document connection
    assert sizes.get("server/raw_socket.py", 0) > 0, done.stdout
    assert sizes.get("server/documents/connection.py", 0) > 0, done.stdout
