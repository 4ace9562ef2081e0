"""The `veche` command line, run as a user would."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import httpx
from pycrdt import Text

from client import DocumentClient
from tests.support.server import ROOT, free_port
from tests.support.waiting import eventually


async def run_veche(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(60):
        output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VECHE_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("select name from sqlite_master where type='table'")}


async def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    for _ in range(2):
        code, output = await run_veche(
            "db", "upgrade", "--database-url", url, cwd=tmp_path, env=clean_env()
        )
        assert code == 0, output
    assert {"documents", "document_updates", "document_checkpoints"} <= tables(
        tmp_path / "fresh.db"
    )


async def test_serve_with_no_configuration_uses_sqlite_under_var(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        cwd=tmp_path,
        env=clean_env(),
    )

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    try:
        await eventually(ready, timeout=30)
        database = tmp_path / "var" / "veche.db"
        assert "document_updates" in tables(database)
        async with DocumentClient(f"ws://127.0.0.1:{port}/yjs", "чернова") as client:
            client.doc.get("content", type=Text).insert(0, "текст")
            await client.wait_saved()
    finally:
        process.terminate()
        async with asyncio.timeout(30):
            # uvicorn shuts down gracefully, then re-raises the signal it caught
            assert await process.wait() == -signal.SIGTERM
    with sqlite3.connect(database) as db:
        [(checkpoints,)] = db.execute("select count(*) from document_checkpoints").fetchall()
    assert checkpoints == 1  # the shutdown unloaded the document with a checkpoint


async def test_bad_configuration_is_reported_clearly(tmp_path: Path) -> None:
    env = {**clean_env(), "VECHE_MAX_FRAME_BYTES": "lots"}
    code, output = await run_veche("db", "upgrade", cwd=tmp_path, env=env)
    assert code == 2
    assert "VECHE_MAX_FRAME_BYTES must be an integer, got 'lots'" in output
