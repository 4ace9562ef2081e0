"""Smoke run of the crowd benchmark (``bench/crowd.py --quick``: 20 people in one live room),
on each database, so that it cannot rot.

Speed is never asserted. What a broken harness or server could not fake is: every ballot
counted exactly once (the poll's count and the decision record written when it closes), every
member's socket shown the full tally, no chat message lost or doubled, and every event missed
while away replayed on resume, once each and in order.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

from tests.bench.scripts import require
from tests.support.services import postgres_admin_url, unavailable

ROOT = Path(__file__).resolve().parents[2]
CROWD = ROOT / "bench" / "crowd.py"


def _require_tools(database: str) -> dict[str, str]:
    """The environment for crowd.py, or the test is unavailable (skipped; failed on CI)."""
    require("node")
    modules = ROOT / "bench" / "loadgen" / "node_modules"
    if shutil.which("npm") is None and not modules.exists():
        unavailable("npm is not installed: bench/loadgen's packages cannot be installed")
    env: dict[str, str] = {}
    if database == "postgres":
        admin = make_url(postgres_admin_url())
        try:
            with socket.create_connection((admin.host or "127.0.0.1", admin.port or 5432), 3):
                pass
        except OSError as exc:
            unavailable(f"PostgreSQL unavailable at {admin.host}:{admin.port}: {exc}")
        env["VECHE_BENCH_POSTGRES"] = admin.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
    return env


@pytest.mark.timeout(60)  # ~25 s each on an idle 2-core machine; both together within 120 s
@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_quick_crowd_counts_every_ballot_and_message(database: str, tmp_path: Path) -> None:
    env = _require_tools(database)
    out = tmp_path / "crowd.json"
    proc = subprocess.run(
        [sys.executable, str(CROWD), "--quick", "--database", database, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=55,
        env={**os.environ, **env},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    report: dict[str, Any] = json.loads(out.read_text())
    people: int = report["meta"]["plan"]["people"]
    (row,) = report["rows"]
    assert row["database"] == database

    voters = row["voters"]
    assert voters["casts"] == voters["answered"] == people
    assert voters["errors"] == 0, voters["failures"]
    back = row["read_back"]
    assert back["poll_ballots"] == back["record_turnout"] == back["record_ballots"] == people
    assert back["record_voters"] == back["record_distinct_voters"] == people
    tally = voters["tally"]
    assert tally["connected"] == tally["saw_all"] == people
    assert tally["never_within_wait"] == 0
    floor = row["floor"]
    assert floor["errors"] == 0
    assert floor["read_back"] == {"rows": people, "voters": people}

    messages = row["messages"]
    assert messages["sent"] > 0
    assert messages["receivers"] == people - 1
    assert messages["delivered"] == messages["expected"] == messages["sent"] * (people - 1)
    assert messages["lost"] == messages["duplicates"] == 0
    assert messages["acks"]["ok"] == messages["sent"]
    fanout = row["yjs_fanout"]
    assert fanout["writes"] > 0
    assert fanout["lost"] == 0, fanout

    rounds = row["resume"]["rounds"]
    assert rounds
    for resumed in rounds:
        assert resumed["events_missed"] == resumed["posted"] == resumed["received"] > 0
        assert resumed["missing"] == resumed["duplicates"] == resumed["out_of_order"] == 0
        assert resumed["connect_to_all_ms"] is not None
