"""Every fuzz target with its input strategy, seeds and share of the long run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from crdt.document import available_backends
from crdt.messages import AwarenessMessage, encode_message, encode_update_frame
from tests.fuzz import seeds, targets
from tests.fuzz.strategies import bytes_inputs, json_texts, json_values, mutated


@dataclass(frozen=True)
class Target:
    """One fuzz target: ``check(value)`` for each ``value`` drawn from ``inputs``."""

    name: str
    check: Callable[[Any], object]
    inputs: st.SearchStrategy[Any]
    seeds: Sequence[Any] = ()
    long_run: int = 100_000  # inputs in the long run (scripts/fuzz)
    # An open defect this target finds (the pytest run expects the failure, strictly).
    known: str | None = None
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
    return json_texts(json_values(keys, enums), seeds.LIVE_FRAMES, limits)


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
                200_000 if backend == "pycrdt" else 100_000,
                batch=8,
            )
        )
    return found


HUGE_PARENT = '{"type":"post","body":"x","parent_id":' + "9" * 5000 + "}"
BIG_MESSAGE_ID = '{"type":"delete","message_id":' + str(10**30) + "}"


def live_targets() -> list[Target]:
    """The /live/ command parser (no database)."""
    return [
        Target(
            "live",
            targets.live_frame,
            _live_texts(limits=True),
            (*seeds.LIVE_FRAMES, HUGE_PARENT),
            100_000,
            known="issue 10 #12: a 5,000-digit integer escapes parse() as ValueError "
            "(not LiveError), so the socket closes instead of answering an error event",
        ),
        Target(
            "live-common",
            targets.live_frame,
            _live_texts(limits=False),
            seeds.LIVE_FRAMES,
            150_000,
            batch=16,
        ),
        Target(
            "live-storable",
            targets.live_frame_storable,
            _live_texts(limits=False),
            (*seeds.LIVE_FRAMES, BIG_MESSAGE_ID),
            100_000,
            known="issue 10 #12: parse() accepts ids above 2**63-1 (message_id 10**30), "
            "which no 64-bit column can hold",
        ),
    ]
