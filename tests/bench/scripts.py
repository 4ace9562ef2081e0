"""Running a script of bench/ from a smoke test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.services import unavailable

BENCH = Path(__file__).resolve().parents[2] / "bench"
# what each tool is for in the benchmarks, said when it is missing
WHY = {
    "node": "the benchmark's load generator needs it",
    "npm": "the load generator's packages cannot be installed",
    "redis-server": "several nodes share a private one",
}


def require(*tools: str) -> None:
    """Skip (or fail, with CI=true) the test when one of ``tools`` is not installed."""
    for tool in tools:
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed: {WHY[tool]}")


def run_bench(script: str, *args: str, timeout: float) -> str:
    """What ``bench/<script> <args>`` printed; the test fails if it did not exit with 0."""
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
