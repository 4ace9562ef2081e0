"""The Redis bus on a real Redis: bundles keep each channel's order, a node that leaves is
seen gone at once, and damaged bundles are refused."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from storage.bus import Receiver, new_node_id
from storage.redis_bus import BUNDLE_BYTES, RedisBus, bundles, unbundle
from tests.nodes.replicas import bus_url

pytestmark = pytest.mark.redis


@contextlib.asynccontextmanager
async def two_buses() -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    url = bus_url()
    one, two = RedisBus(url, new_node_id()), RedisBus(url, new_node_id())
    await one.start()
    await two.start()
    try:
        assert one.connected, "Redis is not reachable"
        assert two.connected, "Redis is not reachable"
        yield one, two
    finally:
        await one.stop()
        await two.stop()


async def test_a_burst_arrives_whole_and_in_order_per_channel() -> None:
    async with two_buses() as (one, two):
        heard: dict[str, list[bytes]] = {"a": [], "b": []}
        done = asyncio.Event()

        def receiver(channel: str) -> Receiver:
            def hear(sender: bytes, message: bytes) -> None:
                assert sender == one.node_id
                heard[channel].append(message)
                if sum(map(len, heard.values())) == 2_000:
                    done.set()

            return hear

        await two.subscribe("a", receiver("a"))
        await two.subscribe("b", receiver("b"))
        for i in range(1_000):
            one.publish("a", f"ä{i}".encode())
            one.publish("b", f"б{i}".encode())
        async with asyncio.timeout(10):
            await done.wait()
        assert heard["a"] == [f"ä{i}".encode() for i in range(1_000)]
        assert heard["b"] == [f"б{i}".encode() for i in range(1_000)]
        assert one.dropped == 0


async def test_a_node_that_leaves_is_gone_at_once() -> None:
    async with two_buses() as (one, two):
        stranger = new_node_id()
        assert await one.gone({two.node_id, stranger}) == {stranger}
        await two.stop()
        assert await one.gone({two.node_id}) == {two.node_id}
        assert await one.gone(set()) == set()


def test_bundles_group_by_channel_and_split_when_large() -> None:
    node = new_node_id()
    big = b"x" * (BUNDLE_BYTES // 2 + 1)
    batch = [("a", b"1"), ("b", b"2"), ("a", big), ("a", big), ("a", b"3")]
    out = bundles(batch, node)
    assert [channel for channel, _ in out] == ["a", "b", "a"]
    assert unbundle(out[0][1]) == [b"1", big, big]
    assert unbundle(out[1][1]) == [b"2"]
    assert unbundle(out[2][1]) == [b"3"]
    assert all(bundle.startswith(node) for _, bundle in out)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:-1], id="cut inside a message"),
        pytest.param(lambda b: b + b"\x00\x00", id="cut inside a length"),
        pytest.param(lambda b: b[:16] + b"\xff\xff\xff\xff" + b[20:], id="a length too long"),
    ],
)
def test_a_damaged_bundle_is_refused(damage: Callable[[bytes], bytes]) -> None:
    ((_, bundle),) = bundles([("a", b"hello"), ("a", b"world")], new_node_id())
    with pytest.raises(ValueError, match="bundle ends"):
        unbundle(damage(bundle))


async def test_a_message_is_written_before_the_turns_later_callbacks() -> None:
    # A node's own fan-out runs in a callback scheduled after the update was published: the
    # other nodes' copy must already be on the socket by then, not one turn later.
    async with two_buses() as (one, two):
        heard = asyncio.Event()
        await two.subscribe("doc", lambda _sender, _message: heard.set())
        seen_by_later_callback: list[int] = []

        def look(before: int) -> None:
            seen_by_later_callback.append(one.published - before)

        for _ in range(3):
            before = one.published
            one.publish("doc", b"update")
            asyncio.get_running_loop().call_soon(look, before)
            async with asyncio.timeout(5):
                await heard.wait()
            heard.clear()
        assert seen_by_later_callback == [1, 1, 1]
        assert one.dropped == 0
