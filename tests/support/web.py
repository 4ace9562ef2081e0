"""A real `veche serve` with the built browser app, people to sign in as, and Chromium.

Browser tests are synchronous (Playwright's sync API); they set the scene through the REST API
(`WebApp.api(name)`, an httpx client signed in as that person) and then act in the page.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from server.accounts.service import Accounts
from storage.accounts import AccountStore
from storage.audit import AuditLog
from storage.database import Database, upgrade
from tests.support.server import ROOT, TEST_SECRET_KEY, free_port
from tests.support.services import unavailable

CHROMIUM = Path("/usr/bin/chromium")
BUNDLE = ROOT / "client" / "web" / "dist"
PASSWORD = "correct horse battery staple"
# what this machine needs so that Chromium does not reach for the network (env README)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
_names = itertools.count(1)
T = TypeVar("T")


def unique(prefix: str) -> str:
    """A name no other test of this run uses (users, rooms)."""
    return f"{prefix}{os.getpid() % 1000}x{next(_names)}"


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine to its end from a sync browser test: Playwright's sync API keeps an
    event loop running in the test's thread, so the coroutine gets a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def require_bundle() -> None:
    if not (BUNDLE / "index.html").is_file():
        unavailable("the web bundle is not built: scripts/bootstrap --web")


def require_chromium() -> None:
    if not CHROMIUM.exists():
        unavailable("Debian's Chromium is missing at /usr/bin/chromium (apt-get install chromium)")


@dataclass
class WebApp:
    """`veche serve` in a child process on a free loopback port, on its own SQLite file."""

    database_url: str
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    clients: dict[str, Api] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def yjs(self) -> str:
        return f"ws://127.0.0.1:{self.port}/yjs"

    def start(self, timeout: float = 30.0) -> None:
        env = {
            **os.environ,
            "VECHE_DATABASE_URL": self.database_url,
            "VECHE_SECRET_KEY": TEST_SECRET_KEY,
            "VECHE_WEB_DIR": str(BUNDLE),
            **self.env,
        }
        command = [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"veche serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("veche serve did not start")

    def stop(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def create_user(self, name: str, display_name: str | None = None, admin: bool = False) -> str:
        """Creates the account (password PASSWORD) and returns its name."""

        async def work() -> None:
            await upgrade(self.database_url)
            async with Database(self.database_url) as database:
                accounts = Accounts(AccountStore(database), AuditLog(database))
                await accounts.create_user(
                    name, PASSWORD, display_name=display_name, is_admin=admin, via="cli"
                )

        run_async(work())
        return name

    def api(self, name: str) -> Api:
        """An httpx client signed in as `name` (a bearer access token), one per name, closed
        when the server stops."""
        if name in self.clients:
            return self.clients[name]
        answer = httpx.post(
            f"{self.url}/api/v1/auth/login", json={"name": name, "password": PASSWORD}
        )
        answer.raise_for_status()
        token = answer.json()["access_token"]
        client = Api(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            token=token,
        )
        self.clients[name] = client
        return client


class Api(httpx.Client):
    """An httpx client with JSON helpers that fail loudly."""

    def __init__(self, *, token: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token

    def ok(self, method: str, path: str, json: Any = None) -> Any:
        answer = self.request(method, path, json=json)
        if answer.status_code >= 400:
            raise AssertionError(f"{method} {path} → {answer.status_code} {answer.text}")
        return None if answer.status_code == 204 else answer.json()

    def room(
        self, title: str, visibility: str = "private", slug: str | None = None
    ) -> dict[str, Any]:
        body = {"slug": slug or unique("room"), "title": title, "visibility": visibility}
        room: dict[str, Any] = self.ok("POST", "/rooms", body)
        return room

    def member(self, slug: str, name: str, role: str) -> None:
        self.ok("PUT", f"/rooms/{slug}/members/{name}", {"role": role})


AXE = ROOT / "client" / "web" / "node_modules" / "axe-core" / "axe.min.js"


def axe_problems(page: Any) -> list[str]:
    """The serious and critical WCAG 2.1 A/AA violations axe-core (npm) finds in the page as it
    is now. axe is injected through the DevTools protocol, which the page's CSP does not
    govern; the page itself never loads it."""
    if not AXE.is_file():
        unavailable("axe-core is not installed: scripts/bootstrap --web")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
          const found = await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
          });
          return found.violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
              v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
        }"""
    )
    return list(result)
