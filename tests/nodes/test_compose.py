"""docker-compose.yml: Debian's docker-compose validates it, and it holds the deployment that
docs/scaling.md describes (the containers themselves are not run here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.nodes.balancer import DEPLOY, nginx_command, write_config
from tests.support.services import unavailable

ROOT = Path(__file__).resolve().parents[2]


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        unavailable("docker-compose is not installed (.ci/run installs Debian's docker-compose)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VECHE_")}
    return subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_compose_file_is_valid_and_holds_the_deployment() -> None:
    done = compose_config(VECHE_SECRET_KEY="k" * 48)
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {"postgres", "redis", "migrate", "veche-1", "veche-2", "balancer"}
    assert services["migrate"]["command"] == ["veche", "db", "upgrade"]
    for replica in ("veche-1", "veche-2"):
        service = services[replica]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        environment = service["environment"]
        assert environment["VECHE_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert environment["VECHE_REDIS_URL"].startswith("redis://redis:")
        assert environment["VECHE_SECRET_KEY"] == "k" * 48
        # the client's address comes from the balancer's X-Forwarded-For (veche-proxy.conf)
        assert environment["FORWARDED_ALLOW_IPS"] == "*"
        assert "ports" not in service, "only the balancer may reach a replica"
    assert services["veche-1"]["environment"] == services["veche-2"]["environment"]
    balancer = services["balancer"]
    assert balancer["image"].startswith("nginx:")
    mounted = {str(volume).split(":")[0] for volume in balancer["volumes"]}
    for shared in ("veche-balancing.conf", "veche-proxy.conf"):  # also run by the tests
        assert str(ROOT / "deploy" / "nginx" / shared) in mounted
    assert balancer["depends_on"]["veche-1"]["condition"] == "service_healthy"


def test_without_a_shared_secret_key_compose_refuses_to_start() -> None:
    done = compose_config()
    assert done.returncode != 0
    assert "VECHE_SECRET_KEY" in done.stderr


def test_the_balancers_own_file_names_the_replicas_and_passes_nginx_checks(
    tmp_path: Path,
) -> None:
    site = (DEPLOY / "compose.conf").read_text()
    config: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    replicas = {name for name in config["services"] if name.startswith("veche-")}
    assert set(re.findall(r"server (veche-\d+):8000 ", site)) == replicas
    # as mounted in the nginx container, with the replicas' names (which only Docker's DNS
    # knows) as loopback addresses
    site = site.replace("/etc/nginx/veche/", f"{DEPLOY}/")
    site = re.sub(r"server veche-\d+:", "server 127.0.0.1:", site)
    checked = subprocess.run(
        [*nginx_command(tmp_path, write_config(tmp_path, site)), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
