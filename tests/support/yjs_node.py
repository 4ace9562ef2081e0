"""Drive a real Yjs client (tests/interop/yclient.mjs: npm yjs + y-websocket) from a test."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
from pathlib import Path
from typing import Any

from tests.support.services import unavailable

INTEROP = Path(__file__).resolve().parents[1] / "interop"


def require_node() -> str:
    """The node binary, with the npm packages installed; skip (fail on CI) otherwise."""
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed (scripts/test installs it with apt-get on CI)")
    if not (INTEROP / "node_modules" / "y-websocket").is_dir():
        unavailable("npm packages missing: run `npm ci` in tests/interop (scripts/test does)")
    return node


class YjsNodeClient:
    """One `WebsocketProvider` in a Node process; requests and replies are JSON lines."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._synced = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, url: str, document: str, token: str | None = None) -> YjsNodeClient:
        node = require_node()
        args = [str(INTEROP / "yclient.mjs"), url, document] + ([token] if token else [])
        process = await asyncio.create_subprocess_exec(
            node,
            *args,
            cwd=INTEROP,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        return cls(process)

    async def wait_synced(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            await self._synced.wait()

    async def request(self, op: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[request_id] = future
        line = json.dumps({"id": request_id, "op": op, **params}) + "\n"
        self.process.stdin.write(line.encode())
        await self.process.stdin.drain()
        async with asyncio.timeout(timeout):
            reply = await future
        if "error" in reply and op not in ("waitText", "waitPeers", "waitSynced"):
            raise AssertionError(f"node client {op} failed: {reply['error']}")
        return reply

    async def close(self) -> None:
        if self.process.returncode is None:
            try:
                await self.request("close", timeout=5)
            except (AssertionError, TimeoutError, ConnectionError):
                self.process.kill()
            async with asyncio.timeout(10):
                await self.process.wait()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            message = json.loads(raw)
            if "id" in message and message["id"] in self._replies:
                self._replies.pop(message["id"]).set_result(message)
            else:
                self.events.append(message)
                if message.get("event") == "synced":
                    self._synced.set()


async def run_node_script(script: str, *args: str, timeout: float = 120.0) -> dict[str, Any]:
    """Run a one-shot script of tests/interop (stock npm packages) that prints one JSON line."""
    node = require_node()
    process = await asyncio.create_subprocess_exec(
        node,
        str(INTEROP / script),
        *args,
        cwd=INTEROP,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result
