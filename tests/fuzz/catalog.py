"""Every fuzz target with its input strategy, seeds and share of the long run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from crdt.document import available_backends
from crdt.messages import AwarenessMessage, encode_message, encode_update_frame
from tests.fuzz import seeds, targets
from tests.fuzz.strategies import bytes_inputs, json_objects, json_texts, json_values, mutated


@dataclass(frozen=True)
class Target:
    """One fuzz target: ``check(value)`` for each ``value`` drawn from ``inputs``."""

    name: str
    check: Callable[[Any], object]
    inputs: st.SearchStrategy[Any]
    seeds: Sequence[Any] = ()
    long_run: int = 100_000  # inputs in the long run (scripts/fuzz)
    batch: int = 1  # inputs per Hypothesis example in the long run (see runner.run)


def _frames() -> st.SearchStrategy[bytes]:
    return st.one_of(
        bytes_inputs(seeds.frames()),
        mutated(seeds.updates()).map(encode_update_frame),
        mutated(seeds.awareness_updates()).map(lambda a: encode_message(AwarenessMessage(a))),
    )


def _session_inputs() -> st.SearchStrategy[tuple[list[bytes], str, bool]]:
    return st.tuples(
        st.lists(_frames(), min_size=1, max_size=4),
        st.sampled_from(["server", "client"]),
        st.booleans(),
    )


def _live_texts(limits: bool) -> st.SearchStrategy[str]:
    from server.live.commands import REGISTRY

    names = sorted(targets.live_validators())
    keys = sorted({k for spec in REGISTRY.values() for k in spec.schema["properties"]})
    enums = [*names, "resolved", "dismissed"]
    return json_texts(
        json_objects(keys, enums), json_values(keys, enums), seeds.LIVE_FRAMES, limits
    )


def _applier(backend: str) -> Callable[[bytes], None]:
    return lambda update: targets.apply_update(update, backend)


def crdt_targets() -> list[Target]:
    """The targets of the crdt package (no database, no event loop)."""
    found = [
        Target("frame", targets.decode_frame, _frames(), seeds.frames(), 500_000, batch=16),
        Target(
            "session",
            lambda v: targets.sync_session(*v),
            _session_inputs(),
            [([f], "server", True) for f in seeds.frames()],
            80_000,
            batch=8,
        ),
        Target(
            "awareness",
            targets.awareness,
            st.lists(bytes_inputs(seeds.awareness_updates()), min_size=1, max_size=4),
            [list(seeds.awareness_updates())],
            200_000,
            batch=8,
        ),
    ]
    for backend in available_backends():
        found.append(
            Target(
                f"update-{backend}",
                _applier(backend),
                bytes_inputs(seeds.updates()),
                seeds.updates(),
                # y-py (yrs 0.12) keeps ~9 KB of every document it made: 30,000 is ~300 MB
                250_000 if backend == "pycrdt" else 30_000,
                batch=8,
            )
        )
    return found


def live_targets() -> list[Target]:
    """The /live/ command parser (no database)."""
    return [
        Target(
            "live",
            targets.live_frame_storable,
            _live_texts(limits=True),
            seeds.LIVE_FRAMES,
            150_000,
            batch=16,
        )
    ]
