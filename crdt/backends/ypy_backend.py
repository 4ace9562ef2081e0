"""The y-py backend (optional: ``pip install veche[ypy]``, Python <= 3.12).

y-py binds yrs 0.12, which truncates client ids to 32 bits: updates from writers with larger
ids (pycrdt's default; Yjs draws 32-bit ids) are refused with UpdateError rather than
silently re-attributed. Its integration can also panic half-way on hostile updates, so this
backend copies the state before each update (a cost in O(document size)) and, after such a
failure, restores the copy into a new ``native`` document.

``y_py`` is imported by :func:`load`, not when this module is imported. y-py has no
structural merge, so :meth:`YpyBackend.merge_updates` falls back to pycrdt's for update sets
that are not complete.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

from crdt.backends._common import (
    BaseDocument,
    is_panic,
    merge_by_replay,
    plain,
    xml_element,
    xml_text,
)
from crdt.update_info import RootType

__all__ = ["YpyBackend", "YpyDocument", "load"]

_y: ModuleType | None = None

# y-py's YDoc may only be dropped on the thread that made it (else it raises and leaks). A
# wrapper caught in a reference cycle is finalised by whichever thread runs the garbage
# collector (a database driver's worker thread, say), so it parks its YDoc here instead, and
# the next document made on the owning thread drops it there.
_parked: list[tuple[int, Any]] = []
_parked_lock = threading.Lock()


def _drop_parked(thread: int) -> None:
    with _parked_lock:
        if not _parked:
            return
        mine = [entry for entry in _parked if entry[0] == thread]
        _parked[:] = [entry for entry in _parked if entry[0] != thread]
    mine.clear()  # the YDocs die here, on their own thread


def _y_py() -> Any:
    global _y
    if _y is None:
        _y = importlib.import_module("y_py")
    return _y


def _children(node: Any) -> list[Any]:
    children = []
    child = node.first_child
    while child is not None:
        children.append(child)
        child = child.next_sibling
    return children


def _to_py(value: Any) -> object:
    y = _y_py()
    if isinstance(value, y.YXmlElement):
        inner = "".join(str(_to_py(child)) for child in _children(value))
        try:
            tag = value.name
        except BaseException as exc:  # a nested XmlFragment: y-py panics on its name
            if not is_panic(exc):
                raise
            return inner
        return xml_element(tag, list(value.attributes()), inner)
    if isinstance(value, y.YXmlText):
        return xml_text(str(value))
    if isinstance(value, y.YText):
        return str(value)
    if isinstance(value, y.YMap):
        return {key: _to_py(item) for key, item in sorted(value.items())}
    if isinstance(value, y.YArray):
        return [_to_py(item) for item in value]
    return plain(value)


class YpyDocument(BaseDocument):
    """A document backed by ``y_py.YDoc``."""

    backend = "y-py"
    _check_references = True  # yrs 0.12 panics half-way on some dangling references
    _snapshot_always = True  # its panics are not all predictable: O(document) per update
    _max_client_id = 2**32 - 1  # yrs 0.12 truncates larger client ids, corrupting the doc

    def __init__(self, doc: Any = None) -> None:
        super().__init__()
        self._y = _y_py()
        self._thread = threading.get_ident()
        _drop_parked(self._thread)
        self._doc = self._y.YDoc() if doc is None else doc
        self._observing = False
        if doc is not None:
            self._own_clock = -1  # existing content: scan on first need

    def __del__(self) -> None:
        thread = getattr(self, "_thread", None)
        if thread is not None and thread != threading.get_ident():
            with _parked_lock:
                _parked.append((thread, self._doc))

    @property
    def native(self) -> Any:
        """The ``y_py.YDoc``."""
        return self._doc

    def state_vector(self) -> bytes:
        """The encoded (v1) state vector."""
        return bytes(self._y.encode_state_vector(self._doc))

    def _client_id(self) -> int:
        return int(self._doc.client_id)

    def _scratch(self) -> BaseDocument:
        return YpyDocument()

    def _reset(self, snapshot: bytes) -> None:
        self._doc = self._y.YDoc(client_id=self._doc.client_id)
        self._y.apply_update(self._doc, snapshot)
        if self._observing:
            self._doc.observe_after_transaction(self._after_transaction)

    def _apply_native(self, update: bytes) -> None:
        self._y.apply_update(self._doc, update)

    def _encode_native(self, state_vector: bytes | None) -> bytes:
        if state_vector is None:
            return bytes(self._y.encode_state_as_update(self._doc))
        return bytes(self._y.encode_state_as_update(self._doc, state_vector))

    def _read_root(self, name: str, root_type: RootType) -> object:
        doc = self._doc
        if root_type is RootType.TEXT:
            return str(doc.get_text(name))
        if root_type is RootType.MAP:
            return _to_py(doc.get_map(name))
        if root_type is RootType.ARRAY:
            return _to_py(doc.get_array(name))
        # y-py has no XmlFragment: a root XmlElement reads the same children.
        return "".join(str(_to_py(child)) for child in _children(doc.get_xml_element(name)))

    def _start_observing(self) -> None:
        # y-py cannot unsubscribe: observe once, and dispatch only while callbacks exist.
        if not self._observing:
            self._doc.observe_after_transaction(self._after_transaction)
            self._observing = True

    def _stop_observing(self) -> None:
        pass

    def _after_transaction(self, event: Any) -> None:
        if self._callbacks and not self._applying:
            self._dispatch(bytes(event.get_update()))


def _pycrdt_merge(updates: Sequence[bytes]) -> bytes:
    pycrdt = importlib.import_module("pycrdt")
    return bytes(pycrdt.merge_updates(*updates))


class YpyBackend:
    """Creates :class:`YpyDocument` objects."""

    name = "y-py"

    def new_document(self) -> YpyDocument:
        """A new, empty document."""
        return YpyDocument()

    def merge_updates(self, updates: Sequence[bytes]) -> bytes:
        """Merge v1 updates into one (by replay when they are complete; see merge_by_replay).

        Raises:
            UpdateError: an update is malformed.
        """
        return merge_by_replay(YpyDocument, updates, _pycrdt_merge)


_BACKEND: Final = YpyBackend()


def load() -> YpyBackend:
    """The backend instance; raises ImportError when y_py is not installed."""
    _y_py()
    return _BACKEND
