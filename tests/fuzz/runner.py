"""Running a target under Hypothesis: the short profile (pytest) and chunks of the long run.

Each call of :func:`run` is one Hypothesis run of at most ``examples`` inputs; the long run
calls it again and again (a fresh random seed each time, so the chunks explore different
inputs and Hypothesis' memory of the inputs it tried stays small).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.fuzz.catalog import Target
from tests.fuzz.known import classify

_QUIET_CHECKS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]

# pytest: a few hundred inputs a target, the same ones every time (derandomize), and a deadline
# generous enough for a machine also running `stress --cpu 2`.
SHORT = settings(
    max_examples=200,
    deadline=timedelta(seconds=2),
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_QUIET_CHECKS,
)

# scripts/fuzz: new random inputs in every chunk, 1 s per input.
LONG = settings(
    deadline=timedelta(seconds=1),
    derandomize=False,
    database=None,
    print_blob=True,
    suppress_health_check=_QUIET_CHECKS,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)


@dataclass
class Tally:
    """What one target did so far."""

    inputs: int = 0
    seconds: float = 0.0
    failure: Any = field(default=None)  # the last failing input (the shrunk one, at the end)
    known: Counter[str] = field(default_factory=Counter)  # inputs that hit a known defect
    examples: dict[str, Any] = field(default_factory=dict)  # one such input per defect
    slow: int = 0  # inputs over the deadline once but not when replayed (a busy machine)


def run(
    target: Target,
    profile: settings,
    examples: int,
    tally: Tally,
    *,
    with_seeds: bool = True,
    before_each: Callable[[Any], None] | None = None,
    batch: int = 1,
) -> None:
    """Run ``target`` on about ``examples`` inputs (plus its seeds); raise what it raised,
    unless a known defect explains it (then count it in ``tally.known`` and go on).

    With ``batch`` > 1, each Hypothesis example is a list of 1 to ``batch`` inputs, checked
    one by one: the engine's own cost per example (~0.4 ms) is then shared by several inputs,
    and a failing list still shrinks to the one input that fails. ``before_each`` sees every
    input first (the long run records it for a watchdog)."""

    def once(value: Any) -> None:
        tally.inputs += 1
        if before_each is not None:
            before_each(value)
        try:
            target.check(value)
        except Exception as exc:
            defect = classify(target.name, value, exc)
            if defect is None:
                tally.failure = value
                raise
            tally.known[defect.name] += 1
            tally.examples.setdefault(defect.name, value)

    def several(values: list[Any]) -> None:
        for value in values:
            once(value)

    if batch > 1:
        test = given(st.lists(target.inputs, min_size=1, max_size=batch))(several)
        seeds = [[seed] for seed in target.seeds]
        examples = max(1, examples * 2 // (batch + 1))  # lists of (batch + 1) / 2 on average
    else:
        test = given(target.inputs)(once)
        seeds = list(target.seeds)
    if with_seeds:
        for seed in seeds:
            test = example(seed)(test)
    test = settings(profile, max_examples=examples)(test)
    started = time.perf_counter()
    try:
        test()
    finally:
        tally.seconds += time.perf_counter() - started
