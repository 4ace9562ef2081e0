"""Cold open seen from a Python client: restart `veche serve` on an existing database, then
time WebSocket handshake and sync step 1 -> step 2 for one document.

The Node load generator's coldopen figure includes its own start-up work (a fresh process
decoding the state with a cold JIT); this probe isolates the server's part.

    .venv/bin/python bench/cold_open_probe.py --database var/veche.db --document NAME [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx
from procs import free_port  # this directory is on sys.path
from websockets.asyncio.client import connect

from crdt.messages import SyncStep1, SyncStep2, decode_message, encode_message

ROOT = Path(__file__).resolve().parents[1]


async def one_run(database: Path, document: str) -> tuple[float, float, int]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VECHE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "VECHE_OPEN_DOCUMENTS": "true",
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        env=env,
    )
    try:
        async with asyncio.timeout(30), httpx.AsyncClient() as http:
            while True:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        async with asyncio.timeout(30):
            started = time.perf_counter()
            async with connect(
                f"ws://127.0.0.1:{port}/yjs/{document}", compression=None, max_size=None
            ) as ws:
                opened = time.perf_counter()
                await ws.send(encode_message(SyncStep1(b"\x00")))
                while True:
                    message = decode_message(await ws.recv())  # type: ignore[arg-type]
                    if isinstance(message, SyncStep2):
                        break
                synced = time.perf_counter()
        return (opened - started) * 1000, (synced - started) * 1000, len(message.update)
    finally:
        server.terminate()
        await server.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--document", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for run in range(args.runs):
        handshake, total, size = await one_run(args.database.resolve(), args.document)
        print(f"run {run}: handshake {handshake:.1f} ms, synced {total:.1f} ms, state {size} B")


if __name__ == "__main__":
    asyncio.run(main())
