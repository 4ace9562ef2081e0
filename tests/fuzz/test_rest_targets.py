"""Short run of the REST body fuzz target, against the app on a migrated SQLite database."""

from __future__ import annotations

from tests.fuzz.rest import RestHarness, rest_targets
from tests.fuzz.runner import SHORT, Tally, run


def test_rest_bodies(harness: RestHarness) -> None:
    tally = Tally()
    run(rest_targets(harness)[0], SHORT, 250, tally)
    assert tally.inputs >= 250
