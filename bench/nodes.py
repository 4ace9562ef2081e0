"""The several-nodes scenario (issue 13): one writer on node A, observers spread over 2 and 3
nodes that share a Redis; Veche (PostgreSQL + Redis bus) and Hocuspocus with its official
Redis extension, each against its own single-node figure measured in the same run.

Each cluster run gets a private redis-server on a free port, so that Redis's CPU time and
memory (INFO, before and after) belong to that run alone.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from procs import free_port  # this directory is on sys.path

Add = Callable[[str, int, dict[str, Any]], None]
Loadgen = Callable[..., dict[str, Any]]


class PrivateRedis:
    def __init__(self, scratch: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        log = (scratch / f"redis-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        self.client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def usage(self) -> dict[str, float]:
        """CPU seconds used so far and memory now and at its peak."""
        cpu = self.client.info("cpu")
        memory = self.client.info("memory")
        return {
            "cpu_s": float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]),
            "memory_mib": memory["used_memory"] / 2**20,
            "peak_mib": memory["used_memory_peak"] / 2**20,
        }

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def saturation_options(plan: Any) -> dict[str, Any]:
    """The saturation scenario's load, the same on one node and across nodes."""
    return {
        "observers": 10 if plan.quick else 100,
        "steps": plan.saturation_steps,
        "duration": 1 if plan.quick else 1.5,
        "drain": 1 if plan.quick else 1.5,
        "loadgens": plan.loadgens,
    }


def with_loadgens(param: str, plan: Any) -> str:
    """A result's case, naming the load generators when there were more than one."""
    return f"{param}, {plan.loadgens} load generators" if plan.loadgens > 1 else param


def run(target: Any, plan: Any, add: Add, loadgen: Loadgen) -> None:
    """One writer at 200 updates/s and 1,000 observers (10 when quick): on one node for the
    single-node targets (and saturation on one node), on 2 and 3 nodes sharing a Redis for the
    cluster targets; then saturation across 2 nodes. Saturation runs as many times as the
    fan-out (``--runs``), on one node and across two."""
    observers = 10 if plan.quick else 1000
    duration, drain = (1, 2) if plan.quick else (3, 5)
    if not target.name.endswith(("-nodes", "-redis")):
        target.fresh()
        for run_no in range(plan.runs):
            result = loadgen(
                target,
                "fanout",
                180,
                observers=observers,
                rate=200,
                duration=duration,
                drain=drain,
                loadgens=plan.loadgens,
            )
            add(with_loadgens(f"1 node, {observers} observers", plan), run_no, result)
        # the one-node figure that saturation across 2 nodes is held to, in the same run; as
        # many runs as of the fan-out: the step where one run stops swings on a small machine
        for run_no in range(plan.runs):
            result = loadgen(target, "saturation", 300, **saturation_options(plan))
            add(with_loadgens("1 node, saturation", plan), run_no, result)
        return
    for count in (2,) if plan.quick else (2, 3):
        _cluster(target, plan, add, loadgen, count, observers, duration, drain)


def _cluster(
    target: Any,
    plan: Any,
    add: Add,
    loadgen: Loadgen,
    count: int,
    observers: int,
    duration: float,
    drain: float,
) -> None:
    bus = PrivateRedis(target.scratch)
    redis_env = (
        {"VECHE_REDIS_URL": f"redis://127.0.0.1:{bus.port}/0"}
        if target.family == "veche"
        else {"BENCH_REDIS": f"127.0.0.1:{bus.port}"}
    )
    nodes = [
        dataclasses.replace(
            target, name=f"{target.name}-{i}", port=0, proc=None, extra_env=redis_env
        )
        for i in range(count)
    ]
    try:
        for node in nodes:  # side by side: each waits for the bus as it starts
            node.launch()
        for node in nodes:
            node.wait_listening()
        bases = ",".join(node.base() for node in nodes)
        for run_no in range(plan.runs):
            before = bus.usage()
            result = loadgen(
                nodes[0],
                "fanout",
                240,
                observers=observers,
                rate=200,
                duration=duration,
                drain=drain,
                bases=bases,
                loadgens=plan.loadgens,
            )
            _with_redis(result, before, bus.usage())
            add(with_loadgens(f"{count} nodes, {observers} observers", plan), run_no, result)
        for run_no in range(plan.runs if count == 2 else 0):
            before = bus.usage()
            result = loadgen(nodes[0], "saturation", 300, bases=bases, **saturation_options(plan))
            _with_redis(result, before, bus.usage())
            add(with_loadgens("2 nodes, saturation", plan), run_no, result)
    finally:
        for node in nodes:
            node.stop()
        bus.stop()


def _with_redis(result: dict[str, Any], before: dict[str, float], after: dict[str, float]) -> None:
    remote = result.pop("remote", None)
    if isinstance(remote, dict):
        result["remote_p99_ms"] = remote.get("p99_ms")
    result["redis_cpu_s"] = round(after["cpu_s"] - before["cpu_s"], 2)
    result["redis_peak_mib"] = round(after["peak_mib"], 1)
