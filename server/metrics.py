"""Prometheus metrics of one application instance (its own registry, so tests can run many)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LOOP_TICK = 0.1  # seconds between the event loop watch's looks
_LOOP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.connections = Gauge("veche_connections", "Open document connections", registry=r)
        self.documents_loaded = Gauge("veche_documents_loaded", "Documents in memory", registry=r)
        self.updates_received = Counter(
            "veche_updates_received", "Update messages applied from clients", registry=r
        )
        self.updates_relayed = Counter(
            "veche_updates_relayed", "Update frames queued to other connections", registry=r
        )
        self.updates_throttled = Counter(
            "veche_updates_throttled", "Update messages delayed by the rate limit", registry=r
        )
        self.updates_to_sandbox = Counter(
            "veche_updates_to_sandbox",
            "Updates over the inline CRDT step limit, tried in the sandbox first",
            registry=r,
        )
        self.updates_too_costly = Counter(
            "veche_updates_too_costly",
            "Updates refused because their CRDT work was over the budget",
            registry=r,
        )
        self.connections_closed = Counter(
            "veche_connections_closed", "Connections closed by the server", ["reason"], registry=r
        )
        self.commit_seconds = Histogram(
            "veche_commit_seconds",
            "Duration of one group commit",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=r,
        )
        self.committed_rows = Counter(
            "veche_committed_rows", "Rows written by group commits", registry=r
        )

        # Both measured over each LOOP_TICK (`watch_loop`). Late: wall time past the tick, which
        # also counts waiting for a core on a busy machine. Busy: the loop thread's CPU time in
        # the tick, which only the server's own work fills; one callback that keeps the loop
        # for a second shows as a tick busy for a second.
        self.loop_late_seconds = Histogram(
            "veche_event_loop_late_seconds",
            "How late the event loop's 100-ms timer fired",
            buckets=_LOOP_BUCKETS,
            registry=r,
        )
        self.loop_busy_seconds = Histogram(
            "veche_event_loop_busy_seconds",
            "CPU time of the event loop's thread within one 100-ms tick and its lateness",
            buckets=_LOOP_BUCKETS,
            registry=r,
        )

    def observe_commit(self, seconds: float, rows: int) -> None:
        self.commit_seconds.observe(seconds)
        self.committed_rows.inc(rows)

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def watch_loop(metrics: Metrics, tick: float = LOOP_TICK) -> None:
    """Measure every ``tick`` how late the loop is and how busy its thread was (forever)."""
    while True:
        started, cpu = time.monotonic(), time.thread_time()
        await asyncio.sleep(tick)
        metrics.loop_late_seconds.observe(max(0.0, time.monotonic() - started - tick))
        metrics.loop_busy_seconds.observe(time.thread_time() - cpu)
