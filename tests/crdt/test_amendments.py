"""Forks, merges and anchors at the CRDT level: state vectors, diffs since them, relative
positions in a root Y.Text (crdt/changes.py, crdt/positions.py), on both backends."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pycrdt
import pytest

from crdt.changes import would_change
from crdt.document import Backend, Document
from crdt.errors import ProtocolError
from crdt.positions import Assoc, RelativePosition, TextPositions, mask_strings
from crdt.update_info import summarize_update
from tests.crdt.conftest import require_backend
from tests.crdt.helpers import CYRILLIC, EMOJI, insert_text, set_map_key

INTEROP = Path(__file__).resolve().parents[1] / "interop"


def utf8(document: Document, name: str, index: int) -> int:
    """Both bindings index a Text by UTF-8 bytes: the offset of code point ``index``."""
    return len(document.text(name)[:index].encode())


def delete_text(document: Document, name: str, index: int, length: int) -> None:
    """Delete code points from the root Text ``name`` through the backend's own API."""
    start, end = utf8(document, name, index), utf8(document, name, index + length)
    native: Any = document.native
    if document.backend == "pycrdt":
        del native.get(name, type=pycrdt.Text)[start:end]
        return
    ytext = native.get_text(name)
    with native.begin_transaction() as txn:
        ytext.delete_range(txn, start, end - start)


def insert_at(document: Document, name: str, index: int, value: str) -> None:
    """Insert at code point ``index`` through the backend's own API."""
    insert_text(document, name, utf8(document, name, index), value)


def copy(backend: Backend, document: Document) -> Document:
    other = backend.new_document()
    other.apply_update(document.encode_state())
    return other


# -- fork and merge ----------------------------------------------------------------------------


def test_fork_concurrent_edits_and_merge_keep_both_sets_of_changes(backend: Backend) -> None:
    base = backend.new_document()
    insert_at(base, "content", 0, f"{CYRILLIC}.\nВтори ред.\n")
    fork_vector = base.state_vector()
    amendment = copy(backend, base)  # seeded with the base's whole state

    insert_at(base, "content", 0, "Основа: ")  # the base goes on meanwhile
    insert_at(amendment, "content", len(amendment.text("content")), f"Поправка {EMOJI}\n")
    delete_text(amendment, "content", 0, len("Проект "))

    changes = amendment.encode_state(fork_vector)
    assert would_change(base, changes)
    base.apply_update(changes)
    assert base.text("content") == f"Основа: за решение.\nВтори ред.\nПоправка {EMOJI}\n"

    # merging again changes nothing, and says so before it is applied
    assert not would_change(base, changes)
    base.apply_update(changes)
    assert base.text("content") == f"Основа: за решение.\nВтори ред.\nПоправка {EMOJI}\n"
    assert not would_change(base, amendment.encode_state(fork_vector))


def test_a_fork_made_by_one_backend_merges_into_the_other() -> None:
    pycrdt_backend, ypy_backend = require_backend("pycrdt"), require_backend("y-py")
    base = pycrdt_backend.new_document()
    insert_at(base, "content", 0, "едно две")
    fork_vector = base.state_vector()
    amendment = copy(ypy_backend, base)
    insert_at(amendment, "content", 4, " и половина")
    insert_at(base, "content", 0, "> ")
    base.apply_update(amendment.encode_state(fork_vector))
    assert base.text("content") == "> едно и половина две"


def test_the_changes_since_the_fork_hold_nothing_of_the_base(backend: Backend) -> None:
    base = backend.new_document()
    insert_at(base, "content", 0, "x" * 1000)
    amendment = copy(backend, base)
    fork_vector = base.state_vector()
    assert summarize_update(amendment.encode_state(fork_vector)).is_empty
    insert_at(amendment, "content", 0, "y")
    changes = summarize_update(amendment.encode_state(fork_vector))
    assert changes.clients == {amendment.client_id: (0, 1)}


def test_would_change_counts_new_items_and_new_deletions_only(backend: Backend) -> None:
    document = backend.new_document()
    insert_at(document, "content", 0, "abcdef")
    other = copy(backend, document)
    assert not would_change(document, b"\x00\x00")
    assert not would_change(document, other.encode_state())

    delete_text(other, "content", 1, 2)  # deletes items the document has
    deletion = other.encode_state(document.state_vector())
    assert summarize_update(deletion).clients == {}
    assert would_change(document, deletion)
    document.apply_update(deletion)
    assert not would_change(document, deletion)
    assert document.text("content") == "adef"

    set_map_key(other, "meta", "k", "v")
    assert would_change(document, other.encode_state(document.state_vector()))


# -- relative positions ------------------------------------------------------------------------


TEXT = f"Чл. 1. {EMOJI} Общината подкрепя гражданските организации."


def anchored(document: Document, words: str) -> tuple[bytes, bytes]:
    text = document.text("content")
    start = text.index(words)
    positions = TextPositions(document)
    return (
        positions.position("content", start, Assoc.AFTER),
        positions.position("content", start + len(words), Assoc.BEFORE),
    )


def anchor_text(document: Document, anchor: tuple[bytes, bytes]) -> str | None:
    positions = TextPositions(document)
    found = positions.resolve_range("content", *anchor)
    return None if found is None else positions.text("content")[found[0] : found[1]]


def test_an_anchor_survives_inserts_before_and_inside_its_range(backend: Backend) -> None:
    document = backend.new_document()
    insert_at(document, "content", 0, TEXT)
    anchor = anchored(document, "подкрепя")
    assert anchor_text(document, anchor) == "подкрепя"

    insert_at(document, "content", 0, f"Проект {EMOJI}: ")  # before, with astral characters
    assert anchor_text(document, anchor) == "подкрепя"
    text = document.text("content")
    insert_at(document, "content", text.index("подкрепя") + 3, "ЖЖ 🌍 ")  # inside
    assert anchor_text(document, anchor) == "подЖЖ 🌍 крепя"
    assert document.text("content").count("подЖЖ 🌍 крепя") == 1


def test_inserts_at_the_edges_stay_outside_the_range(backend: Backend) -> None:
    document = backend.new_document()
    insert_at(document, "content", 0, "едно две три")
    anchor = anchored(document, "две")
    insert_at(document, "content", document.text("content").index("две"), "<")
    insert_at(document, "content", document.text("content").index("две") + 3, ">")
    assert document.text("content") == "едно <две> три"
    assert anchor_text(document, anchor) == "две"


def test_a_deleted_range_resolves_to_an_empty_range_where_it_was(backend: Backend) -> None:
    document = backend.new_document()
    insert_at(document, "content", 0, "едно две три")
    anchor = anchored(document, "две")
    delete_text(document, "content", 4, 5)  # " две "
    assert document.text("content") == "еднотри"
    positions = TextPositions(document)
    assert positions.resolve_range("content", *anchor) == (4, 4)
    assert anchor_text(document, anchor) == ""
    # and after reloading the state, with the deleted items stored as such
    assert anchor_text(copy(backend, document), anchor) == ""


def test_positions_made_by_one_backend_resolve_in_the_other() -> None:
    pycrdt_backend, ypy_backend = require_backend("pycrdt"), require_backend("y-py")
    document = pycrdt_backend.new_document()
    insert_at(document, "content", 0, TEXT)
    anchor = anchored(document, "Общината")
    other = copy(ypy_backend, document)
    insert_at(other, "content", 0, f"{EMOJI}{EMOJI}")
    assert anchor_text(other, anchor) == "Общината"
    assert anchored(other, "Общината") == anchor  # the same character, the same id


def test_positions_are_yjs_relative_positions(backend: Backend) -> None:
    document = backend.new_document()
    native: pycrdt.Doc[Any] = pycrdt.Doc(client_id=5)
    native.get("content", type=pycrdt.Text).insert(0, f"Проект {EMOJI} за")
    document.apply_update(native.get_update())
    positions = TextPositions(document)
    index = len(f"Проект {EMOJI} ")  # 12 code points; 15 UTF-16 units, as Yjs counts
    start = positions.position("content", index, Assoc.AFTER)
    end = positions.position("content", index + 2, Assoc.BEFORE)
    assert RelativePosition.decode(start) == RelativePosition(item=(5, 15), assoc=0)
    assert RelativePosition.decode(end) == RelativePosition(item=(5, 16), assoc=-1)
    assert start.hex() == "00050f00"  # Y.encodeRelativePosition, as yjs 13.6 writes it
    assert end.hex() == "00051041"
    ends = (
        positions.position("content", len(positions.text("content"))),
        positions.position("content", 0, Assoc.BEFORE),
    )
    assert [RelativePosition.decode(e) for e in ends] == [
        RelativePosition(root="content", assoc=0),
        RelativePosition(root="content", assoc=-1),
    ]
    assert [positions.resolve("content", e) for e in ends] == [len(positions.text("content")), 0]


def test_relative_positions_round_trip_and_refuse_garbage() -> None:
    for position in (
        RelativePosition(item=(2**32 - 1, 123456)),
        RelativePosition(root="съдържание", assoc=-1),
        RelativePosition(type_id=(7, 0), assoc=0),
    ):
        assert RelativePosition.decode(position.encode()) == position
    assert RelativePosition.decode(bytes.fromhex("000503")) == RelativePosition(item=(5, 3))
    for garbage in (b"", b"\x03\x00", b"\x00\x05", b"\x00\x05\x03\x00\x00", b"\x01\x09ab"):
        with pytest.raises(ProtocolError):
            RelativePosition.decode(garbage)
    with pytest.raises(ValueError, match="one item, root or nested type"):
        RelativePosition(item=(1, 1), root="x")


def test_unknown_items_other_roots_and_nested_types_resolve_to_none(backend: Backend) -> None:
    document = backend.new_document()
    insert_at(document, "content", 0, "абв")
    positions = TextPositions(document)
    assert positions.resolve("content", RelativePosition(item=(999, 0)).encode()) is None
    own = document.client_id
    assert positions.resolve("content", RelativePosition(item=(own, 3)).encode()) is None
    assert positions.resolve("content", RelativePosition(item=(own, 2)).encode()) == 2
    assert positions.resolve("content", RelativePosition(root="other").encode()) is None
    assert positions.resolve("content", RelativePosition(type_id=(1, 0)).encode()) is None
    missing, end = RelativePosition(item=(9, 9)).encode(), positions.position("content", 3)
    assert positions.resolve_range("content", missing, end) is None
    with pytest.raises(ProtocolError):
        positions.resolve("content", b"\x00")


def test_positions_need_a_text_root_and_an_offset_inside_it(backend: Backend) -> None:
    document = backend.new_document()
    insert_at(document, "content", 0, "абв")
    set_map_key(document, "meta", "title", "заглавие")
    positions = TextPositions(document)
    assert positions.is_text("content")
    assert positions.is_text("absent")
    assert positions.text("absent") == ""
    assert not positions.is_text("meta")
    with pytest.raises(ValueError, match=r"not a Y\.Text"):
        positions.position("meta", 0)
    with pytest.raises(ValueError, match=r"outside 0\.\.3"):
        positions.position("content", 4)
    with pytest.raises(ValueError, match="outside"):
        positions.position("content", -1)


def test_a_snapshot_sees_no_later_edit(backend: Backend) -> None:
    document = backend.new_document()
    insert_at(document, "content", 0, "абв")
    positions = TextPositions(document)
    insert_at(document, "content", 0, "ххх")
    assert positions.text("content") == "абв"
    assert positions.resolve("content", positions.position("content", 1)) == 1


def test_masking_keeps_every_id_and_length() -> None:
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=3)
    text = doc.get("content", type=pycrdt.Text)
    text += f"{CYRILLIC} {EMOJI} ascii"
    text.format(0, 4, {"bold": True})
    doc.get("meta", type=pycrdt.Map)["ключ"] = pycrdt.Text("вложен")
    del text[2:6]
    update = doc.get_update()
    masked = mask_strings(update)
    original, result = summarize_update(update), summarize_update(masked)
    assert (result.clients, result.deleted, result.root_types) == (
        original.clients,
        original.deleted,
        original.root_types,
    )
    copy_: pycrdt.Doc[Any] = pycrdt.Doc()
    copy_.apply_update(masked)
    assert set(str(copy_.get("content", type=pycrdt.Text))) == {"a"}
    assert copy_.get_state() == doc.get_state()


@pytest.mark.node
def test_yjs_resolves_our_anchors_and_we_resolve_its() -> None:
    """Anchors made here, resolved by Yjs after edits made in Yjs; and Yjs's, resolved here."""
    node = shutil.which("node")
    if node is None or not (INTEROP / "node_modules" / "yjs").is_dir():
        pytest.skip("node and the npm packages of tests/interop are needed")
    document = require_backend("pycrdt").new_document()
    insert_at(document, "content", 0, TEXT)
    words = "гражданските"
    start = document.text("content").index(words)
    positions = TextPositions(document)
    ours = [
        positions.position("content", start, Assoc.AFTER).hex(),
        positions.position("content", start + len(words), Assoc.BEFORE).hex(),
    ]
    script = """
import * as Y from 'yjs'
const input = JSON.parse(process.argv[1])
const doc = new Y.Doc()
Y.applyUpdate(doc, Buffer.from(input.update, 'hex'))
const text = doc.getText('content')
const at = (hex) => Y.createAbsolutePositionFromRelativePosition(
  Y.decodeRelativePosition(Buffer.from(hex, 'hex')), doc).index
const before = Y.encodeStateVector(doc)
text.insert(0, '🌍🌍 ')
text.insert(at(input.ours[0]) + 2, 'ЯЯ')
const [s, e] = input.ours.map(at)
const made = [Y.createRelativePositionFromTypeIndex(text, s, 0),
              Y.createRelativePositionFromTypeIndex(text, e, -1)]
console.log(JSON.stringify({
  anchored: text.toString().slice(s, e),
  update: Buffer.from(Y.encodeStateAsUpdate(doc, before)).toString('hex'),
  theirs: made.map((p) => Buffer.from(Y.encodeRelativePosition(p)).toString('hex')),
}))
"""
    argument = json.dumps({"update": document.encode_state().hex(), "ours": ours})
    result = subprocess.run(
        [node, "--input-type=module", "-e", script, argument],
        cwd=INTEROP,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    reply = json.loads(result.stdout)
    assert reply["anchored"] == "грЯЯажданските"
    document.apply_update(bytes.fromhex(reply["update"]))
    positions = TextPositions(document)
    theirs = [bytes.fromhex(h) for h in reply["theirs"]]
    assert theirs == [bytes.fromhex(h) for h in ours]  # Yjs names the same characters
    found = positions.resolve_range("content", *theirs)
    assert found is not None
    assert positions.text("content")[found[0] : found[1]] == "грЯЯажданските"
