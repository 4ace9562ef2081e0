"""The pycrdt backend (default)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any, Final, cast

import pycrdt

from crdt.backends._common import BaseDocument, merge_by_replay, plain, xml_element, xml_text
from crdt.update_info import RootType

__all__ = ["PycrdtBackend", "PycrdtDocument", "load"]

_ROOT_CLASSES: Final[
    dict[
        RootType, type[pycrdt.Text | pycrdt.Map[object] | pycrdt.Array[object] | pycrdt.XmlFragment]
    ]
] = {
    RootType.TEXT: pycrdt.Text,
    RootType.MAP: pycrdt.Map,
    RootType.ARRAY: pycrdt.Array,
    RootType.XML_FRAGMENT: pycrdt.XmlFragment,
}


def _xml(node: object) -> str:
    if isinstance(node, pycrdt.XmlElement):
        inner = "".join(_xml(child) for child in node.children)
        return xml_element(
            node.tag or "", cast(Iterable[tuple[str, object]], node.attributes), inner
        )
    if isinstance(node, pycrdt.XmlText):
        return xml_text(_plain_text(node))
    if isinstance(node, pycrdt.XmlFragment):
        return "".join(_xml(child) for child in node.children)
    return ""


def _plain_text(text: pycrdt.XmlText) -> str:
    # str() of an XmlText shows formatting as tags; y-py cannot, so both show plain text.
    return "".join(chunk for chunk, _attrs in text.diff() if isinstance(chunk, str))


def _to_py(value: object) -> object:
    if isinstance(value, (pycrdt.XmlElement, pycrdt.XmlFragment, pycrdt.XmlText)):
        return _xml(value)
    if isinstance(value, pycrdt.Text):
        return str(value)
    if isinstance(value, pycrdt.Map):
        return {key: _to_py(value[key]) for key in sorted(value.keys())}
    if isinstance(value, pycrdt.Array):
        return [_to_py(item) for item in value]
    return plain(value)


class PycrdtDocument(BaseDocument):
    """A document backed by ``pycrdt.Doc``."""

    backend = "pycrdt"

    def __init__(self, doc: pycrdt.Doc[Any] | None = None) -> None:
        super().__init__()
        # Yjs draws 32-bit client ids; pycrdt's default 53-bit ones do not survive y-py.
        self._doc = pycrdt.Doc(client_id=random.getrandbits(32)) if doc is None else doc
        self._subscription: pycrdt.Subscription | None = None
        if doc is not None:
            self._own_clock = -1  # existing content: scan on first need

    @property
    def native(self) -> pycrdt.Doc[Any]:
        """The ``pycrdt.Doc``."""
        return self._doc

    def state_vector(self) -> bytes:
        """The encoded (v1) state vector."""
        return self._doc.get_state()

    def _client_id(self) -> int:
        return int(self._doc.client_id)

    def _scratch(self) -> BaseDocument:
        return PycrdtDocument()

    def _reset(self, snapshot: bytes) -> None:
        observing = self._subscription is not None
        self._stop_observing()
        self._doc = pycrdt.Doc(client_id=self._doc.client_id)
        self._doc.apply_update(snapshot)
        if observing:
            self._start_observing()

    def _apply_native(self, update: bytes) -> None:
        self._doc.apply_update(update)

    def _encode_native(self, state_vector: bytes | None) -> bytes:
        return self._doc.get_update(state_vector)

    def _read_root(self, name: str, root_type: RootType) -> object:
        if root_type is RootType.TEXT and name not in set(self._doc.keys()):
            return ""
        return _to_py(self._doc.get(name, type=_ROOT_CLASSES[root_type]))

    def _start_observing(self) -> None:
        self._subscription = self._doc.observe(lambda event: self._dispatch(event.update))

    def _stop_observing(self) -> None:
        if self._subscription is not None:
            self._doc.unobserve(self._subscription)
            self._subscription = None


class PycrdtBackend:
    """Creates :class:`PycrdtDocument` objects."""

    name = "pycrdt"

    def new_document(self) -> PycrdtDocument:
        """A new, empty document."""
        return PycrdtDocument()

    def merge_updates(self, updates: Sequence[bytes]) -> bytes:
        """Merge v1 updates into one (by replay when they are complete; see merge_by_replay).

        Raises:
            UpdateError: an update is malformed.
        """
        return merge_by_replay(PycrdtDocument, updates, lambda ups: pycrdt.merge_updates(*ups))


_BACKEND: Final = PycrdtBackend()


def load() -> PycrdtBackend:
    """The backend instance (used by :func:`crdt.document.load_backend`)."""
    return _BACKEND
