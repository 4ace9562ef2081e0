"""Short run of the /live/ command-frame fuzz target."""

from __future__ import annotations

from tests.fuzz.catalog import live_targets
from tests.fuzz.runner import SHORT, Tally, run


def test_live_frames_parse_or_are_refused() -> None:
    tally = Tally()
    run(live_targets()[0], SHORT, 300, tally)
    assert tally.inputs >= 300
