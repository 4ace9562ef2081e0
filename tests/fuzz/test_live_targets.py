"""Short runs of the /live/ command-frame fuzz targets."""

from __future__ import annotations

import pytest

from tests.fuzz.catalog import Target, live_targets
from tests.fuzz.runner import SHORT, Tally, run


def _params() -> list[object]:
    return [
        pytest.param(t, id=t.name, marks=[pytest.mark.xfail(strict=True, reason=t.known)])
        if t.known
        else pytest.param(t, id=t.name)
        for t in live_targets()
    ]


@pytest.mark.parametrize("target", _params())
def test_live_target(target: Target) -> None:
    tally = Tally()
    run(target, SHORT, 300, tally)
    assert tally.inputs >= 300
