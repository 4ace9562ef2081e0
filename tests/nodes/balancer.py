"""Debian's nginx with the repository's configuration in front of replica processes.

The tests include the same `deploy/nginx` files as docker-compose (`compose.conf`); only the
upstream's addresses, the listening port and where nginx keeps its files differ. Nothing is
written outside a temporary directory, so nginx needs no root.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import yaml

from tests.support.server import LoopbackAddress, free_port
from tests.support.services import unavailable
from tests.support.waiting import eventually, serving

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "nginx"
NGINX = "/usr/sbin/nginx"
# a replica's passive health check, as in deploy/nginx/compose.conf
SERVER_CHECKS = "max_fails=1 fail_timeout=5s"

# What the official image's /etc/nginx/nginx.conf is to compose.conf: the http block, with
# every file nginx writes kept under the prefix.
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
    include {site};
}}
"""

# compose.conf with replica processes on loopback ports instead of containers
SITE = """
upstream veche {{
    include {deploy}/veche-balancing.conf;
{servers}
}}
server {{
    listen 127.0.0.1:{port};
    include {deploy}/veche-proxy.conf;
}}
"""


def nginx_binary() -> str:
    """Debian's nginx; `unavailable` (a skip, or a failure on CI) without it."""
    found = NGINX if Path(NGINX).is_file() else shutil.which("nginx")
    if found is None:
        unavailable("nginx is not installed (.ci/run installs Debian's nginx)")
    return found


def write_config(prefix: Path, site: str) -> Path:
    """Write the main configuration around ``site`` (an http-level file) under ``prefix``."""
    (prefix / "site.conf").write_text(site)
    config = prefix / "nginx.conf"
    config.write_text(MAIN.format(prefix=prefix, site=prefix / "site.conf"))
    return config


def nginx_command(prefix: Path, config: Path) -> list[str]:
    """nginx with its prefix, configuration and first error log all under ``prefix``."""
    return [nginx_binary(), "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]


class Balancer(LoopbackAddress):
    """nginx on a free loopback port; `stop` ends it by its PID."""

    def __init__(self, replica_ports: list[int]) -> None:
        nginx_binary()  # missing: skip (fail on CI) before anything is started
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="veche-nginx-")
        servers = "\n".join(f"    server 127.0.0.1:{p} {SERVER_CHECKS};" for p in replica_ports)
        site = SITE.format(servers=servers, port=self.port, deploy=DEPLOY)
        self.config = write_config(Path(self._dir.name), site)
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        prefix = self._dir.name
        self.process = await asyncio.create_subprocess_exec(
            *nginx_command(Path(prefix), self.config), "-g", "daemon off;"
        )
        process = self.process

        try:
            await eventually(serving(process, f"{self.http}/healthz", "nginx"), 15)
        except RuntimeError as exc:
            log = (Path(prefix) / "error.log").read_text(errors="replace")
            raise RuntimeError(f"{exc}: {log[-2000:]}") from None

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


def replica_environment() -> dict[str, str]:
    """What compose sets on its replicas beyond the shared URLs and key (whom to trust for
    X-Forwarded-For), so that the replicas behind the test balancer see what they see there."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment: dict[str, str] = compose["services"]["veche-1"]["environment"]
    return {k: str(v) for k, v in environment.items() if not k.startswith("VECHE_")}


class NotReady:
    """A stand-in for a replica whose database is down: it answers every request with 503, as
    Veche's /readyz and API then do. Counts the requests it was sent."""

    ANSWER = (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Content-Length: 24\r\nConnection: close\r\n\r\n"
        b'{"status":"unavailable"}'
    )

    def __init__(self) -> None:
        self.port = free_port()
        self.requests = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[NotReady]:
        server = await asyncio.start_server(self._answer, "127.0.0.1", self.port)
        try:
            yield self
        finally:
            server.close()
            await server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            writer.write(self.ANSWER)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        finally:
            writer.close()
