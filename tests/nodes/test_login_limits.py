"""Failed logins are counted for the whole deployment, not per replica: behind a balancer an
attacker's guesses spread over the replicas still meet one limit."""

from __future__ import annotations

import httpx
import pytest

from server.services import Services
from server.settings import Settings
from tests.nodes.replicas import replicas
from tests.support.server import TEST_SECRET_KEY, ServerProcess

pytestmark = pytest.mark.postgres

PASSWORD = "правилна конска батерия"
LIMITS = {"VECHE_LOGIN_FAILURES_PER_ACCOUNT": "3", "VECHE_LOGIN_FAILURES_PER_ADDRESS": "4"}


async def make_user(database_url: str, name: str) -> None:
    services = await Services.start(Settings(database_url=database_url, secret_key=TEST_SECRET_KEY))
    try:
        await services.accounts.create_user(name, PASSWORD)
    finally:
        await services.stop()


async def login(node: ServerProcess, name: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=node.http) as http:
        return await http.post("/api/v1/auth/login", json={"name": name, "password": password})


async def test_failures_through_different_replicas_meet_one_limit(postgres_url: str) -> None:
    await make_user(postgres_url, "ана")
    async with replicas(postgres_url, 2, env=LIMITS) as (one, two):
        for node in (one, two):  # successes give their count back: the address stays free
            for _ in range(3):
                assert (await login(node, "ана", PASSWORD)).status_code == 200
        for node in (one, two, one):
            assert (await login(node, "ана", "грешна")).status_code == 401
        for node in (two, one):  # the account's limit, reached through both replicas
            refused = await login(node, "ана", PASSWORD)
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) > 0
        # the address's limit (4) is shared too: one more failure for another name, then none
        assert (await login(two, "борис", "грешна")).status_code == 401
        assert (await login(one, "виктор", "грешна")).status_code == 429
