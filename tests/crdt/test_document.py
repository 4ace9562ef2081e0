from __future__ import annotations

import contextlib
import json
from typing import Any

import pycrdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crdt.backends._common import native_errors
from crdt.document import Backend, available_backends, load_backend, warm_up
from crdt.errors import BackendUnavailableError, UpdateError
from crdt.update_info import summarize_update
from tests.crdt.conftest import ALL_BACKENDS, require_backend
from tests.crdt.helpers import (
    CYRILLIC,
    FILLED_RENDERED,
    SAMPLE_RENDERED,
    fill_natively,
    insert_text,
    pycrdt_sample,
    set_map_key,
    text_updates,
)
from tests.crdt.test_update_info import mutated_updates

PAIRS = [(a, b) for a in ALL_BACKENDS for b in ALL_BACKENDS if a != b]


def test_empty_document(backend: Backend) -> None:
    doc = backend.new_document()
    assert doc.backend == backend.name
    assert doc.state_vector() == b"\x00"
    assert doc.encode_state() == b"\x00\x00"
    assert doc.render() == {}
    assert doc.text("content") == ""


def test_render_infers_every_root_type(backend: Backend) -> None:
    doc = backend.new_document()
    doc.apply_update(pycrdt_sample())
    rendered = doc.render()
    assert rendered == SAMPLE_RENDERED
    assert list(rendered) == sorted(rendered)
    json.dumps(rendered)  # JSON-serialisable
    assert doc.text("content").startswith(CYRILLIC)
    assert doc.text("absent") == ""


def test_render_of_a_root_with_only_deleted_content_is_none(backend: Backend) -> None:
    source: pycrdt.Doc[Any] = pycrdt.Doc(client_id=12)
    text = source.get("gone", type=pycrdt.Text)
    text += "x"
    del text[0]
    doc = backend.new_document()
    doc.apply_update(source.get_update())
    assert doc.render() == {"gone": None}


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_updates_load_in_the_other_backend(source: str, target: str) -> None:
    written = require_backend(source).new_document()
    fill_natively(written)
    insert_text(written, "content", 0, "» ")
    set_map_key(written, "meta", "emoji", "👍🏽")
    content = f"» {FILLED_RENDERED['content']}"
    expected = {
        **FILLED_RENDERED,
        "content": content,
        "meta": {**FILLED_RENDERED["meta"], "emoji": "👍🏽"},  # type: ignore[dict-item]
    }
    assert written.render() == expected
    loaded = require_backend(target).new_document()
    loaded.apply_update(written.encode_state())
    assert loaded.render() == expected
    # and back again, after an edit on the other side
    insert_text(loaded, "content", 0, "Ново: ")
    written.apply_update(loaded.encode_state(written.state_vector()))
    assert written.text("content") == loaded.text("content") == "Ново: " + content


def test_diff_against_a_state_vector(backend: Backend) -> None:
    full = backend.new_document()
    full.apply_update(pycrdt_sample())
    replica = backend.new_document()
    replica.apply_update(full.encode_state(replica.state_vector()))
    assert replica.render() == SAMPLE_RENDERED
    assert full.encode_state(replica.state_vector()) == b"\x00\x00"


@pytest.mark.parametrize("state_vector", [b"", b"\x01\x01", b"\x00\x00", b"\xff"])
def test_bad_state_vector(backend: Backend, state_vector: bytes) -> None:
    with pytest.raises(UpdateError):
        backend.new_document().encode_state(state_vector)


def assert_refused_and_unchanged(backend: Backend, update: bytes) -> None:
    doc = backend.new_document()
    doc.apply_update(pycrdt_sample())
    before = (doc.state_vector(), doc.encode_state(), doc.render())
    with pytest.raises(UpdateError):
        doc.apply_update(update)
    assert (doc.state_vector(), doc.encode_state(), doc.render()) == before


@pytest.mark.parametrize("update", [b"", b"\x01", b"\xff\xff", b"\x00\x00garbage", b"\x02" * 9])
def test_garbage_update_is_refused(backend: Backend, update: bytes) -> None:
    assert_refused_and_unchanged(backend, update)


def test_item_whose_parent_is_not_a_type_is_refused_without_partial_apply(
    backend: Backend,
) -> None:
    # Client 7 inserts "ok" into root text "content" (valid), and client 8 inserts "x" into
    # a parent that is a string item of client 11 (invalid: Yrs fails after integrating 7).
    valid = b"\x01\x07\x00\x04\x01\x07content\x02ok"
    invalid = b"\x01\x08\x00\x04\x00\x0b\x00\x01x"
    update = b"\x02" + valid + invalid + b"\x00"
    assert_refused_and_unchanged(backend, update)


def test_client_ids_beyond_32_bits(backend: Backend) -> None:
    source: pycrdt.Doc[Any] = pycrdt.Doc(client_id=2**40 + 5)
    source.get("content", type=pycrdt.Text).insert(0, "дълъг")
    doc = backend.new_document()
    if backend.name == "y-py":  # yrs 0.12 would truncate the id and corrupt the document
        with pytest.raises(UpdateError, match="client ids"):
            doc.apply_update(source.get_update())
        assert doc.state_vector() == b"\x00"
    else:
        doc.apply_update(source.get_update())
        assert doc.state_vector() == source.get_state()


def test_new_documents_use_32_bit_client_ids_like_yjs(backend: Backend) -> None:
    doc = backend.new_document()
    insert_text(doc, "content", 0, "x")
    (client_id,) = summarize_update(doc.encode_state()).clients
    assert client_id < 2**32


def test_panics_become_update_errors_but_interrupts_pass() -> None:
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    with pytest.raises(UpdateError, match="boom"), native_errors("update refused"):
        raise PanicException("boom")
    with pytest.raises(KeyboardInterrupt), native_errors("update refused"):
        raise KeyboardInterrupt
    with pytest.raises(SystemExit), native_errors("update refused"):
        raise SystemExit(1)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(update=mutated_updates())
def test_mutated_updates_are_applied_whole_or_not_at_all(backend: Backend, update: bytes) -> None:
    doc = backend.new_document()
    for base in text_updates()[:3]:
        doc.apply_update(base)
    before = (doc.state_vector(), doc.encode_state())
    try:
        doc.apply_update(update)
    except UpdateError:
        assert (doc.state_vector(), doc.encode_state()) == before
    else:
        json.dumps(doc.render())


def test_local_updates_reach_callbacks_but_applied_ones_do_not(backend: Backend) -> None:
    doc = backend.new_document()
    seen: list[bytes] = []
    unsubscribe = doc.on_local_update(seen.append)
    doc.apply_update(pycrdt_sample())
    assert seen == []
    insert_text(doc, "content", 0, "Ред: ")
    assert len(seen) == 1
    replica = backend.new_document()
    replica.apply_update(pycrdt_sample())
    replica.apply_update(seen[0])
    assert replica.text("content") == doc.text("content")
    doc.render()  # reading makes no update
    assert len(seen) == 1
    unsubscribe()
    unsubscribe()  # idempotent
    insert_text(doc, "content", 0, "x")
    assert len(seen) == 1


def test_merge_of_a_complete_log(backend: Backend) -> None:
    updates = text_updates()
    merged = backend.merge_updates(updates)
    one_by_one = backend.new_document()
    for update in updates:
        one_by_one.apply_update(update)
    from_merged = backend.new_document()
    from_merged.apply_update(merged)
    assert from_merged.render() == one_by_one.render()
    assert from_merged.state_vector() == one_by_one.state_vector()


def test_merge_of_updates_that_depend_on_missing_ones_keeps_them(backend: Backend) -> None:
    updates = text_updates()
    merged = backend.merge_updates(updates[1:])  # the first update is not among them
    doc = backend.new_document()
    doc.apply_update(updates[0])
    doc.apply_update(merged)
    reference = backend.new_document()
    reference.apply_update(backend.merge_updates(updates))
    assert doc.render() == reference.render()


def test_merge_edge_cases(backend: Backend) -> None:
    assert backend.merge_updates([]) == b"\x00\x00"
    assert backend.merge_updates([b"\x00\x00"]) == b"\x00\x00"
    with pytest.raises(UpdateError):
        backend.merge_updates([pycrdt_sample(), b"\x01garbage"])


def test_backend_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    assert available_backends()[0] == "pycrdt"
    assert load_backend().name == "pycrdt"
    with pytest.raises(ValueError, match="unknown CRDT backend"):
        load_backend("automerge")
    monkeypatch.setitem(
        load_backend.__globals__["_MODULES"], "missing", "crdt.backends.not_installed"
    )
    with pytest.raises(BackendUnavailableError):
        load_backend("missing")
    assert "missing" not in available_backends()


def test_arbitrary_bytes_to_apply_update(backend: Backend) -> None:
    @settings(max_examples=100, deadline=None)
    @given(st.binary(max_size=60))
    def check(update: bytes) -> None:
        doc = backend.new_document()
        with contextlib.suppress(UpdateError):
            doc.apply_update(update)

    check()


def test_restore_loads_stored_state_and_keeps_validating_later_updates(backend: Backend) -> None:
    source = backend.new_document()
    source.apply_update(pycrdt_sample())
    stored = source.encode_state()

    restored = backend.new_document()
    restored.restore(stored)
    assert restored.render() == source.render()
    # Nested-type bookkeeping is rebuilt lazily: a later update naming a parent that is not a
    # type is still refused whole by the restored document.
    before = restored.encode_state()
    valid = b"\x01\x07\x00\x04\x01\x07content\x02ok"
    invalid = b"\x01\x08\x00\x04\x00\x0b\x00\x01x"
    with pytest.raises(UpdateError):
        restored.apply_update(b"\x02" + valid + invalid + b"\x00")
    assert restored.encode_state() == before


def test_warm_up_leaves_nothing_behind(backend: Backend) -> None:
    warm_up(backend)
    assert backend.new_document().render() == {}


def test_ypy_documents_collected_on_another_thread_are_dropped_on_their_own() -> None:
    require_backend("y-py")
    import gc
    import threading

    from crdt.backends import ypy_backend

    document = ypy_backend.YpyDocument()
    cycle: list[object] = [document]
    cycle.append(cycle)  # only the cyclic collector can free it now
    del document, cycle
    collector = threading.Thread(target=gc.collect)
    collector.start()  # y-py would raise "dropped on another thread" here without parking
    collector.join()
    me = threading.get_ident()
    assert any(thread == me for thread, _ in ypy_backend._parked)
    ypy_backend.YpyDocument()  # a new document on this thread drops what it parked
    assert not any(thread == me for thread, _ in ypy_backend._parked)


def test_the_native_time_is_measured_only_when_asked(backend: Backend) -> None:
    """The relay path skips the two CPU-clock reads per update; the sandbox's trials ask."""
    updates = text_updates()
    plain = backend.new_document()
    for update in updates:
        plain.apply_update(update)
    assert plain.native_seconds == 0.0
    timed = backend.new_document()
    timed.timed = True
    for update in updates:
        timed.apply_update(update)
    assert timed.native_seconds > 0.0
    assert timed.render() == plain.render()
