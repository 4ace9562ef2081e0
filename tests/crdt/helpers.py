"""Building documents natively with each backend, for the tests."""

from __future__ import annotations

from typing import Any

import pycrdt

from crdt.document import Document

CYRILLIC = "Проект за решение"
EMOJI = "🗳️👍🏽"


def pycrdt_sample(client_id: int = 11) -> bytes:
    """A document with a Text, a Map (nested values), an Array and an XmlFragment."""
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=client_id)
    text = doc.get("content", type=pycrdt.Text)
    text += f"{CYRILLIC} {EMOJI}"
    meta = doc.get("meta", type=pycrdt.Map)
    meta["title"] = "Заглавие"
    meta["count"] = 3
    meta["ratio"] = 1.5
    meta["nested"] = pycrdt.Map({"list": [1, "две", {"deep": None}], "flag": True})
    meta["notes"] = pycrdt.Text("бележка")
    items = doc.get("items", type=pycrdt.Array)
    items.extend(["едно", 2, 3.25, None, False, {"k": "в"}])
    items.append(pycrdt.Array(["вложен", 1]))
    body = doc.get("body", type=pycrdt.XmlFragment)
    body.children.append(
        pycrdt.XmlElement(
            "p",
            {"class": "lead", "data-id": "7"},
            [
                pycrdt.XmlText("Здравей <свят> & 👋"),
                pycrdt.XmlElement("b", None, [pycrdt.XmlText("!")]),
            ],
        )
    )
    body.children.append(pycrdt.XmlText("край"))
    return doc.get_update()


SAMPLE_RENDERED: dict[str, object] = {
    "body": '<p class="lead" data-id="7">Здравей &lt;свят&gt; &amp; 👋<b>!</b></p>край',
    "content": f"{CYRILLIC} {EMOJI}",
    "items": ["едно", 2, 3.25, None, False, {"k": "в"}, ["вложен", 1]],
    "meta": {
        "count": 3,
        "nested": {"flag": True, "list": [1, "две", {"deep": None}]},
        "notes": "бележка",
        "ratio": 1.5,
        "title": "Заглавие",
    },
}


def insert_text(document: Document, name: str, index: int, value: str) -> None:
    """Insert into the root Text ``name`` through the backend's own API."""
    native: Any = document.native
    if document.backend == "pycrdt":
        native.get(name, type=pycrdt.Text).insert(index, value)
        return
    text = native.get_text(name)
    with native.begin_transaction() as txn:
        text.insert(txn, index, value)


def set_map_key(document: Document, name: str, key: str, value: object) -> None:
    """Set a key of the root Map ``name`` through the backend's own API."""
    native: Any = document.native
    if document.backend == "pycrdt":
        native.get(name, type=pycrdt.Map)[key] = value
        return
    ymap = native.get_map(name)
    with native.begin_transaction() as txn:
        ymap.set(txn, key, value)


def text_updates(client_id: int = 21) -> list[bytes]:
    """The per-transaction updates of a small editing session (pycrdt)."""
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=client_id)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get("content", type=pycrdt.Text)
    text += "Проект"
    text.insert(0, "ab")
    text.format(0, 2, {"bold": True})
    del text[1]
    meta = doc.get("meta", type=pycrdt.Map)
    meta["n"] = 3
    meta["n"] = "x"
    meta["nested"] = pycrdt.Map({"a": [1, {"b": None}]})
    return updates


def fill_natively(document: Document) -> None:
    """Cyrillic and emoji text, a map with nested values and an array, via the native API."""
    native: Any = document.native
    if document.backend == "pycrdt":
        native.get("content", type=pycrdt.Text).insert(0, f"{CYRILLIC} {EMOJI}")
        meta = native.get("meta", type=pycrdt.Map)
        meta["title"] = "Заглавие"
        meta["nested"] = pycrdt.Map({"list": [1, "две"], "flag": True})
        native.get("items", type=pycrdt.Array).extend(["едно", 2, {"k": "в"}])
        return
    import y_py

    text, meta, items = (
        native.get_text("content"),
        native.get_map("meta"),
        native.get_array("items"),
    )
    with native.begin_transaction() as txn:
        text.extend(txn, f"{CYRILLIC} {EMOJI}")
        meta.set(txn, "title", "Заглавие")
        nested = y_py.YMap({"list": [1, "две"], "flag": True})  # type: ignore[call-arg,misc]
        meta.set(txn, "nested", nested)
        items.extend(txn, ["едно", 2, {"k": "в"}])


FILLED_RENDERED: dict[str, object] = {
    "content": f"{CYRILLIC} {EMOJI}",
    "items": ["едно", 2, {"k": "в"}],
    "meta": {"nested": {"flag": True, "list": [1, "две"]}, "title": "Заглавие"},
}
