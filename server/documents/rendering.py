"""A document's content as JSON values, without stalling the event loop on a large state.

Rendering needs each root's type, which Yjs does not store: it is inferred by parsing every
item of the state in Python (crdt/update_info.py), ~3.5 us an item. For a document of
10,000 separate items that is 35 ms on an idle core, and several times that on a busy
machine: long enough to hold up every other connection of the process. A large state is
therefore parsed on one thread of its own. The parse is pure Python, so it still takes the
interpreter lock, but hands it back every switch interval (5 ms), and the event loop keeps
answering in between. One thread, not a pool: parses running side by side would each
take their turn and leave the loop a smaller share.

The native document is only touched on the loop (encoding the state, reading the roots).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from crdt.document import Document
from crdt.update_info import root_types

# Below this the parse takes under ~2 ms: done at once, no thread hand-off.
INLINE_RENDER_BYTES = 4096

_parser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="veche-render")


async def render(document: Document, state: bytes | None = None) -> dict[str, object]:
    """`Document.render`, its root types inferred on the parsing thread when the state is
    large. ``state``: the document's current state when the caller has encoded it already.

    The root types are those of ``state``; a root first written while the parse runs is
    left out, content written meanwhile to a known root is included.
    """
    state = document.encode_state() if state is None else state
    if len(state) <= INLINE_RENDER_BYTES:
        return document.render(root_types(state))
    roots = await asyncio.get_running_loop().run_in_executor(_parser, root_types, state)
    return document.render(roots)
