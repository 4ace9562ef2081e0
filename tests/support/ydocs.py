"""Build Yjs updates for tests with pycrdt."""

from __future__ import annotations

import random

from pycrdt import Doc, Text


class Typist:
    """A pycrdt document that types into its root text and hands out each edit's update."""

    def __init__(self, root: str = "content") -> None:
        # 32-bit client ids, as Yjs picks them (the y-py backend refuses larger ones)
        self.doc: Doc[Text] = Doc(client_id=random.getrandbits(32))
        self.text = self.doc.get(root, type=Text)

    def type(self, chunk: str) -> bytes:
        before = self.doc.get_state()
        self.text += chunk
        return self.doc.get_update(before)

    def apply(self, update: bytes) -> None:
        self.doc.apply_update(update)

    def __str__(self) -> str:
        return str(self.text)


def text_of(update: bytes, root: str = "content") -> str:
    doc: Doc[Text] = Doc()
    doc.apply_update(update)
    return str(doc.get(root, type=Text))


def prepends(client_id: int, count: int) -> bytes:
    """An update of ``count`` one-character inserts, each at position 0: two of them from
    different clients integrate in quadratic time (docs/crdt-isolation.md)."""
    doc: Doc[Text] = Doc(client_id=client_id)
    text = doc.get("content", type=Text)
    for _ in range(count):
        text.insert(0, "x")
    return doc.get_update()


def typed(client_id: int, chars: str) -> bytes:
    """An update that inserts ``chars`` at the start of the root text."""
    doc: Doc[Text] = Doc(client_id=client_id)
    doc.get("content", type=Text).insert(0, chars)
    return doc.get_update()
