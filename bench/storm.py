"""The connection storm with tokens: N clients connect and sync at once, each with its own API
token, on a document of a private room, as a deployment sees after a restart.

Veche runs with ``VECHE_OPEN_DOCUMENTS`` off, so that only room documents exist; before the
runs of each N, ``bench/population.py`` writes N members with a token each and the room's
document into the target's database (the scratch SQLite file, or the run's PostgreSQL
database). Hocuspocus gets the same number of tokens and checks each in an ``onAuthenticate``
hook against a Set held in memory (``BENCH_TOKENS``, bench/peers/hocuspocus.mjs).
y-websocket-server and pycrdt-websocket have no authentication: they run the same storm (the
token is in the URL and ignored) without a check.

The figures are those of the ``connections`` scenario: one client first, the server's RSS read,
then N clients opened (at most 100 handshakes in flight) and synced, RSS read again; a freshly
started server for every run (with ``--quick``, the one started for the scenario).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from targets import BENCH, Target, loadgen

Add = Callable[[str, int, dict[str, Any]], None]
POPULATION = BENCH / "population.py"


def label(count: int) -> str:
    return f"{count} connections with tokens"


def run(target: Target, plan: Any, add: Add) -> None:
    """Every run of the storm for each size of ``plan.connections_n`` on ``target``."""
    sizes: list[int] = plan.connections_n
    saved_env = dict(target.extra_env)
    tokens_dir = target.scratch / f"{target.name}-tokens"
    tokens_dir.mkdir(parents=True, exist_ok=True)
    peer_tokens = tokens_dir / "peer-tokens.txt"
    if target.family == "veche":
        target.extra_env = saved_env | {"VECHE_OPEN_DOCUMENTS": "false"}
    else:
        # the peers' tokens, enough for the largest storm; only Hocuspocus checks them
        _write_tokens(peer_tokens, [_peer_token() for _ in range(max(sizes))])
        if target.family == "hocuspocus":
            target.extra_env = saved_env | {"BENCH_TOKENS": str(peer_tokens)}
    try:
        # Started with this scenario's settings (a server kept by --quick had others). Veche
        # migrates its database as it starts; the population is written after that. Without
        # --quick every run starts the server anew anyway.
        if plan.quick or target.family == "veche":
            target.restart()
        for count in sizes:
            if target.family == "veche":
                tokens_file, document = _populate(target, count, tokens_dir)
            else:
                tokens_file, document = peer_tokens, f"storm-{count}"
            for run_no in range(plan.runs):
                if not plan.quick:
                    target.restart()  # every run meets a server that has just started
                assert target.proc is not None
                add(
                    label(count),
                    run_no,
                    loadgen(
                        target,
                        "storm",
                        240,
                        count=count,
                        tokens=tokens_file,
                        doc=document,
                        server_pids=target.proc.pid,
                        settle=300 if plan.quick else 1500,  # ms before RSS is read again
                    ),
                )
    finally:
        target.stop()  # the next scenario starts it again with the usual settings
        target.extra_env = saved_env


def _populate(target: Target, count: int, tokens_dir: Path) -> tuple[Path, str]:
    """Writes ``count`` members of a private room with a token each and one room document
    into the target's database; returns the tokens file and the document's name."""
    room = f"bench-{count}-{secrets.token_hex(2)}"  # unique: the PostgreSQL database is shared
    out = tokens_dir / f"{room}.json"
    cmd = [sys.executable, str(POPULATION), "--database-url", target.database_url()]
    cmd += ["--users", str(count), "--room", room, "--documents", "1", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench/population.py failed: {done.stderr.decode()[-400:]}")
    people: dict[str, Any] = json.loads(out.read_text())
    tokens: list[str] = people["tokens"]
    documents: list[str] = people["documents"]
    tokens_file = tokens_dir / f"{room}.txt"
    _write_tokens(tokens_file, tokens)
    return tokens_file, documents[0]


def _peer_token() -> str:
    return "vch_" + secrets.token_urlsafe(32)  # the shape of Veche's, for equal work on the wire


def _write_tokens(path: Path, tokens: list[str]) -> None:
    path.write_text("".join(f"{token}\n" for token in tokens))
