"""The `veche` command line, run as a user would."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import sys
from pathlib import Path

import httpx
from pycrdt import Text

from client import DocumentClient
from server.settings import Settings
from tests.support.server import ROOT, free_port, serve_in_process
from tests.support.waiting import eventually


async def run_veche_with_input(
    *args: str, cwd: Path, env: dict[str, str], stdin: bytes = b""
) -> tuple[int, str, str]:
    """Run `veche ARGS` as a user would; its exit code, standard output and standard error."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        output, errors = await process.communicate(stdin)
    assert process.returncode is not None
    return process.returncode, output.decode(), errors.decode()


async def run_veche(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Like run_veche_with_input, with no input and both outputs together."""
    code, output, errors = await run_veche_with_input(*args, cwd=cwd, env=env)
    return code, output + errors


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
        "--open-documents",  # else only documents created in a room through the API exist
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


async def test_users_create_and_tokens_issue(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'accounts.db'}"
    env = {**clean_env(), "VECHE_DATABASE_URL": url}
    code, output, errors = await run_veche_with_input(
        "users", "create", "ана", "--password-stdin", "--locale", "en", "--display-name", "Ана",
        cwd=tmp_path, env=env, stdin="парола-от-stdin\nignored\n".encode(),
    )  # fmt: skip
    assert code == 0, errors
    assert "password" not in output
    code, output, errors = await run_veche_with_input(
        "users", "create", "admin", "--admin", cwd=tmp_path, env=env, stdin=b""
    )
    assert code == 0, errors
    [generated] = [line.split(": ", 1)[1] for line in output.splitlines() if "shown once" in line]
    assert len(generated) >= 20
    code, _, errors = await run_veche_with_input(
        "users", "create", "ана", cwd=tmp_path, env=env, stdin=b""
    )
    assert (code, errors.strip()) == (2, "veche: the name 'ана' is taken")
    code, token, errors = await run_veche_with_input(
        "tokens", "issue", "ана", "--label", "бот", cwd=tmp_path, env=env, stdin=b""
    )
    assert code == 0, errors
    token = token.strip()
    assert token.startswith("vch_")
    code, _, errors = await run_veche_with_input(
        "tokens", "issue", "никой", cwd=tmp_path, env=env, stdin=b""
    )
    assert (code, errors.strip()) == (2, "veche: no user named 'никой'")

    settings = Settings(database_url=url, secret_key="k" * 32)
    async with (
        serve_in_process(settings) as server,
        httpx.AsyncClient(base_url=server.http) as http,
    ):
        me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert (me.json()["name"], me.json()["locale"], me.json()["display_name"]) == (
            "ана",
            "en",
            "Ана",
        )
        for name, password in (("ана", "парола-от-stdin"), ("admin", generated)):
            response = await http.post(
                "/api/v1/auth/login", json={"name": name, "password": password}
            )
            assert response.status_code == 200, response.text
        audit = await http.get(
            "/api/v1/audit", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
        )
    assert [e["action"] for e in audit.json()["events"]][-3:] == [
        "token.issued",
        "user.created",
        "user.created",
    ]
    assert not (tmp_path / "secret_key").exists()  # VECHE_SECRET_KEY was given


async def test_the_generated_secret_key_is_kept_and_reused_across_restarts(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'veche.db'}"
    settings = Settings(database_url=url)
    key_file = tmp_path / "data" / "secret_key"
    async with serve_in_process(settings) as server:
        await server.app.state.services.accounts.create_user("ана", "a-long-password")  # type: ignore[attr-defined]
        async with httpx.AsyncClient(base_url=server.http) as http:
            response = await http.post(
                "/api/v1/auth/login", json={"name": "ана", "password": "a-long-password"}
            )
        access = response.json()["access_token"]
    key = key_file.read_bytes()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    async with (
        serve_in_process(settings) as server,
        httpx.AsyncClient(base_url=server.http) as http,
    ):
        me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == 200  # signed before the restart, still valid after it
    assert key_file.read_bytes() == key
    other = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'other' / 'veche.db'}")
    async with serve_in_process(other) as server, httpx.AsyncClient(base_url=server.http) as http:
        me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == 401  # another key: the token does not verify
