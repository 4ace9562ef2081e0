"""Short runs of the crdt fuzz targets (scripts/fuzz runs them long)."""

from __future__ import annotations

import pytest

from tests.fuzz.catalog import Target, crdt_targets
from tests.fuzz.runner import SHORT, Tally, run


@pytest.mark.parametrize("target", crdt_targets(), ids=lambda t: t.name)
def test_crdt_target(target: Target) -> None:
    tally = Tally()
    run(target, SHORT, 200, tally)
    assert tally.inputs >= 200
