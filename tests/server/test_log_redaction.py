"""No token, receipt or invitation secret in any log line of `veche serve` (issue 10).

The server runs as a user runs it, in a child process at its most verbose log level; the
test reads everything it wrote to standard output and standard error.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pycrdt import Text

from client import DocumentClient, LiveClient
from server.accounts.service import Accounts
from storage.accounts import AccountStore
from storage.audit import AuditLog
from storage.database import Database
from tests.support.server import ROOT, TEST_SECRET_KEY, free_port
from tests.support.waiting import eventually

PASSWORD = "correct horse battery"


async def _people(database_url: str) -> tuple[str, str]:
    """API tokens of an owner and a guest (the guest also has a password)."""
    async with Database(database_url) as database:
        accounts = Accounts(AccountStore(database), AuditLog(database))
        owner = await accounts.create_user("owner", None)
        guest = await accounts.create_user("guest", PASSWORD)
        _, owner_token = await accounts.issue_api_token(owner, "tests")
        _, guest_token = await accounts.issue_api_token(guest, "tests")
    return owner_token, guest_token


async def test_no_secret_reaches_the_log(sqlite_url: str, tmp_path: Path) -> None:
    owner_token, guest_token = await _people(sqlite_url)
    port = free_port()
    env = {**os.environ, "VECHE_DATABASE_URL": sqlite_url, "VECHE_SECRET_KEY": TEST_SECRET_KEY}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--log-level", "debug",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    outputs = asyncio.gather(process.stdout.read(), process.stderr.read())
    base = f"http://127.0.0.1:{port}"
    secrets: list[str] = [owner_token, guest_token]
    try:

        async def healthy() -> bool:
            try:
                async with httpx.AsyncClient() as http:
                    return (await http.get(f"{base}/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(healthy, 30)
        owner = {"Authorization": f"Bearer {owner_token}"}
        guest = {"Authorization": f"Bearer {guest_token}"}
        async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30) as http:
            login = await http.post("/auth/login", json={"name": "guest", "password": PASSWORD})
            access = login.json()["access_token"]
            secrets += [access, login.json()["refresh_token"]]
            room = {"slug": "r", "visibility": "private"}
            assert (await http.post("/rooms", json=room, headers=owner)).status_code == 201
            created = await http.post("/rooms/r/documents", json={"name": "doc"}, headers=owner)
            assert created.status_code == 201, created.text
            invited = await http.post("/rooms/r/invitations", json={}, headers=owner)
            invitation = invited.json()["token"]
            secrets.append(invitation)
            accepted = await http.post(f"/invitations/{invitation}/accept", headers=guest)
            assert accepted.status_code == 200, accepted.text
            poll = {"title": "Тайно", "method": "single_choice", "options": ["а", "б"]}
            opened = await http.post("/rooms/r/polls", json={**poll, "secret": True}, headers=owner)
            poll_id = opened.json()["id"]
            cast = await http.post(
                f"/rooms/r/polls/{poll_id}/ballots", json={"choice": "а"}, headers=owner
            )
            receipt = cast.json()["receipt"]
            secrets.append(receipt)
            for path in (
                f"/rooms/r/polls/{poll_id}/receipts/{receipt}",
                f"/rooms/r/polls/{poll_id}/%72eceipts/{receipt}",  # routed as /receipts/ too
                f"/rooms/r/messages?limit=5&token={guest_token}&access_token={access}",
            ):
                assert (await http.get(path, headers=owner)).status_code == 200, path
        async with LiveClient(f"ws://127.0.0.1:{port}/live", "r", token=access) as live:
            assert live.welcome is not None
        async with DocumentClient(f"ws://127.0.0.1:{port}/yjs", "doc", token=access) as doc:
            doc.doc.get("content", type=Text).insert(0, "текст")
            await doc.wait_saved()
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await process.wait()
        stdout, stderr = await outputs
    log = stdout.decode() + stderr.decode()
    assert "/api/v1/invitations/[redacted]/accept" in log
    assert f"/api/v1/rooms/r/polls/{poll_id}/receipts/[redacted]" in log
    assert "/live/r?token=[redacted]" in log
    assert "messages?limit=5&token=[redacted]&access_token=[redacted]" in log
    for secret in secrets:
        assert secret not in log
        for piece in (secret[:12], secret[-12:]):  # nor a recognisable part of one
            assert piece not in log, piece


def test_the_redaction_keeps_plain_parameters_and_paths() -> None:
    from server.logredact import redact

    assert redact("GET /api/v1/rooms/r/messages?before=9&limit=5") == (
        "GET /api/v1/rooms/r/messages?before=9&limit=5"
    )
    assert redact("/api/v1/rooms/r/invitations/12") == "/api/v1/rooms/r/invitations/12"
    assert redact("/yjs/doc?%74oken=x&q=secret+words") == "/yjs/doc?%74oken=[redacted]&q=[redacted]"
    assert redact("token vch_abc-DEF_1 and vci_x") == "token vch_[redacted] and vci_[redacted]"


@pytest.mark.parametrize(("level", "said"), [("info", False), ("warning", False), ("debug", True)])
def test_each_sockets_open_and_close_are_logged_only_when_debugging(level: str, said: bool) -> None:
    """websockets' "connection open" and "connection closed" lines name no path or person:
    below debug they are not written (a storm of 5,000 connections wrote 10,000 of them).
    The configuration is applied in a child process, as `veche serve` applies it."""
    script = (
        "import logging, logging.config, sys\n"
        "from uvicorn.config import LOGGING_CONFIG\n"
        "from server.logredact import log_config\n"
        "logging.config.dictConfig(log_config(LOGGING_CONFIG, sys.argv[1]))\n"
        "print(logging.getLogger('websockets.server').isEnabledFor(logging.INFO),"
        " logging.getLogger('veche.documents').isEnabledFor(logging.WARNING))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, level], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [str(said), "True"]
