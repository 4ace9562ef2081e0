from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fuzz.rest import RestHarness


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RestHarness]:
    """The app on its own migrated SQLite database, shared by a module's tests."""
    harness = RestHarness(Path(tmp_path_factory.mktemp("fuzz-rest")))
    try:
        yield harness
    finally:
        harness.close()
