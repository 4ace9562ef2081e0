"""Run Veche for a test: in this event loop (fast) or as a child process (for kill -9)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from server.app import create_app
from server.settings import Settings
from server.ws_routing import VecheHttpProtocol, VecheWebSocketProtocol
from tests.support.contract import recorded
from tests.support.waiting import eventually, serving

ROOT = Path(__file__).resolve().parents[2]
TEST_SECRET_KEY = "veche-tests-only-signing-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LoopbackAddress:
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def yjs(self) -> str:
        return f"ws://127.0.0.1:{self.port}/yjs"

    @property
    def live(self) -> str:
        return f"ws://127.0.0.1:{self.port}/live"


@dataclass(frozen=True)
class RunningServer(LoopbackAddress):
    port: int
    settings: Settings
    app: object
    uvicorn: uvicorn.Server | None = None  # its server_state lists the open connections


class _TestServer(uvicorn.Server):
    """uvicorn's server, told to stop within 10 ms instead of at its next 100 ms tick: a test
    starts and stops hundreds of servers. Its tick's work (the Date header) still runs every
    100 ms."""

    async def main_loop(self) -> None:
        polls = 0
        should_exit = await self.on_tick(0)
        while not should_exit and not self.should_exit:
            await asyncio.sleep(0.01)
            polls += 1
            if polls % 10 == 0:
                should_exit = await self.on_tick(polls // 10)


@contextlib.asynccontextmanager
async def serve_in_process(settings: Settings) -> AsyncIterator[RunningServer]:
    """Serve `settings` on a free loopback port inside the test's event loop."""
    port = free_port()
    settings = settings.with_overrides(host="127.0.0.1", port=port)
    if settings.secret_key is None and settings.sqlite_path() is None:
        # a generated key would land in ./var of the working directory (the repository)
        settings = settings.with_overrides(secret_key=TEST_SECRET_KEY)
    app = create_app(settings)
    config = uvicorn.Config(
        recorded(app),  # every API exchange checked against the OpenAPI document
        host="127.0.0.1",
        port=port,
        http=VecheHttpProtocol,
        ws=VecheWebSocketProtocol,
        ws_max_size=settings.max_frame_bytes,
        ws_per_message_deflate=False,
        lifespan="on",
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    server = _TestServer(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(20):
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.01)
    try:
        yield RunningServer(port, settings, app, server)
    finally:
        server.should_exit = True
        async with asyncio.timeout(30):
            await task


class ServerProcess(LoopbackAddress):
    """`veche serve` in a child process, so a test can SIGKILL it like a crash."""

    def __init__(self, database_url: str, *, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.database_url = database_url
        self.env = {
            **os.environ,
            "VECHE_DATABASE_URL": database_url,
            # else a PostgreSQL-backed child would keep a generated key in the repository's var/
            "VECHE_SECRET_KEY": TEST_SECRET_KEY,
            **(env or {}),
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 30.0) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            cwd=ROOT,
            env=self.env,
        )
        process = self.process

        await eventually(serving(process, f"{self.http}/healthz", "server"), timeout)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int | None:
        """SIGTERM and wait: a clean shutdown."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode
