"""Where the real services used by tests live, and what to do when one is missing."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it on CI (``CI=true``), where every service must be present."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def postgres_admin_url() -> str:
    """A SQLAlchemy URL of a PostgreSQL database from which test databases are created."""
    return os.environ.get(
        "VECHE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )


def redis_url() -> str:
    """The URL of the Redis server used by tests."""
    return os.environ.get("VECHE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
