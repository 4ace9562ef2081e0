"""Debian's nginx with the repository's proxy configuration in front of replica processes."""

from __future__ import annotations

import asyncio
import shutil
import signal
import tempfile
from pathlib import Path

import httpx

from tests.support.server import LoopbackAddress, free_port
from tests.support.services import unavailable
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
PROXY = ROOT / "deploy" / "nginx" / "veche-proxy.conf"
NGINX = "/usr/sbin/nginx"

MAIN = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream veche {{
        least_conn;
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {proxy};
    }}
}}
"""


class Balancer(LoopbackAddress):
    """nginx on a free loopback port; `stop` ends it by its PID."""

    def __init__(self, replica_ports: list[int]) -> None:
        found = NGINX if Path(NGINX).is_file() else shutil.which("nginx")
        if found is None:
            unavailable("nginx is not installed (.ci/run installs Debian's nginx)")
        self.binary = found
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="veche-nginx-")
        prefix = self._dir.name
        servers = "\n".join(
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in replica_ports
        )
        self.config = Path(prefix) / "nginx.conf"
        self.config.write_text(
            MAIN.format(prefix=prefix, servers=servers, port=self.port, proxy=PROXY)
        )
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        prefix = self._dir.name
        self.process = await asyncio.create_subprocess_exec(
            self.binary, "-p", prefix, "-c", str(self.config), "-g", "daemon off;"
        )
        process = self.process

        async def answering() -> bool:
            if process.returncode is not None:
                log = (Path(prefix) / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited with {process.returncode}: {log[-2000:]}")
            try:
                async with httpx.AsyncClient() as http:
                    return (await http.get(f"{self.http}/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(answering, 15)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: the workers finish
            try:
                async with asyncio.timeout(10):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._dir.cleanup()
