"""A large document's root types are inferred off the event loop (server/documents/rendering.py):
a stored document of 10,000 separate items once held the loop for 0.8 s on a busy CI run."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pycrdt
import pytest

from crdt.document import Backend, load_backend
from crdt.update_info import root_types
from server.documents import rendering
from server.documents.rendering import INLINE_RENDER_BYTES, render
from tests.crdt.helpers import SAMPLE_RENDERED, pycrdt_sample


@pytest.fixture
def backend(backend_name: str) -> Backend:
    return load_backend(backend_name)


def _separate_items(count: int) -> bytes:
    """``count`` one-character inserts at position 0: items that never merge, beside a map
    and a root with only deleted content."""
    source: pycrdt.Doc[Any] = pycrdt.Doc(client_id=41)
    text = source.get("content", type=pycrdt.Text)
    for _ in range(count):
        text.insert(0, "ж")
    source.get("meta", type=pycrdt.Map)["title"] = "Проект"
    gone = source.get("gone", type=pycrdt.Text)
    gone += "x"
    del gone[0]
    return source.get_update()


async def test_a_small_state_renders_as_the_document_does(backend: Backend) -> None:
    document = backend.new_document()
    document.apply_update(pycrdt_sample())
    assert len(document.encode_state()) <= INLINE_RENDER_BYTES
    assert await render(document) == document.render() == SAMPLE_RENDERED


async def test_a_large_state_is_parsed_on_another_thread_while_the_loop_runs(
    backend: Backend, monkeypatch: Any
) -> None:
    document = backend.new_document()
    document.apply_update(_separate_items(3000))
    state = document.encode_state()
    assert len(state) > INLINE_RENDER_BYTES
    loop_thread = threading.get_ident()
    parsed_on: list[int] = []

    def parse(given: bytes) -> object:
        parsed_on.append(threading.get_ident())
        return root_types(given)

    monkeypatch.setattr(rendering, "root_types", parse)
    turns = 0

    async def tick() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    before = turns
    try:
        rendered = await render(document, state)
    finally:
        ticker.cancel()
    assert parsed_on
    assert loop_thread not in parsed_on
    assert turns > before  # the loop ran other work while the state was parsed
    assert rendered == document.render()
    assert rendered == {"content": "ж" * 3000, "gone": None, "meta": {"title": "Проект"}}
