"""Backend-neutral document interface over the Yrs bindings.

Two backends implement it: ``pycrdt`` (the default) and ``y-py`` (optional, Python <= 3.12).
Updates are Yjs v1 updates, so one backend's updates load in the other.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from .errors import BackendUnavailableError
from .update_info import RootType

__all__ = ["Backend", "Document", "Validated", "available_backends", "load_backend"]

_MODULES: Final = {
    "pycrdt": "crdt.backends.pycrdt_backend",
    "y-py": "crdt.backends.ypy_backend",
}


@dataclass(frozen=True, slots=True)
class Validated:
    """What another process found when it validated an update (``expect_validated``)."""

    added_items: int
    primary_client: int | None


class Document(Protocol):
    """One Yjs document. Root types need not be declared: :meth:`render` infers them."""

    backend: str  # "pycrdt" | "y-py"
    # An upper bound on the items the document holds (crdt/cost.py), and the most
    # integration steps an update may take before apply_update refuses it (None: no limit).
    items: int
    step_limit: int | None
    # Of the last update applied: its main client id and the binding's time on it (seconds).
    last_client: int | None
    native_seconds: float
    # Whether `native_seconds` is measured: on for the sandbox's timed trials, off on the
    # relay path, where its two CPU-clock reads (system calls) cost 6 % of a busy server.
    timed: bool

    def apply_update(self, update: bytes) -> None:
        """Apply a v1 update. Raises UpdateError (document unchanged) on a bad update, and
        CostlyUpdate (nothing applied) when its integration bound is over ``step_limit``."""
        ...

    def expect_validated(self, validated: Validated | None) -> None:
        """Take the next apply_update as validated elsewhere (another process, on this
        state): integrate it without parsing. None withdraws it."""
        ...

    def restore(self, update: bytes) -> None:
        """Apply an update this program validated before (e.g. read back from its own store).

        Skips the validation of `apply_update`: loading a long history costs what the binding
        costs. Raises UpdateError if the binding refuses it anyway.
        """
        ...

    def state_vector(self) -> bytes:
        """The encoded (v1) state vector."""
        ...

    def encode_state(self, state_vector: bytes | None = None) -> bytes:
        """The whole state as a v1 update, or the diff against ``state_vector``.

        Raises UpdateError on a malformed state vector.
        """
        ...

    def render(self, roots: Mapping[str, RootType] | None = None) -> dict[str, object]:
        """Every root with content by name, as JSON-serialisable values (see docs/crdt.md).

        ``roots``: the root types of the current state (`root_types`), when already known;
        inferring them parses every item of the state in Python (~3.5 us an item).
        """
        ...

    def on_local_update(self, callback: Callable[[bytes], None]) -> Callable[[], None]:
        """Call ``callback`` with the v1 update of every transaction made through
        :attr:`native` (not of :meth:`apply_update`); returns an unsubscribe function."""
        ...

    @property
    def client_id(self) -> int:
        """The Yjs client id of this document's own (local) edits."""
        ...

    @property
    def native(self) -> object:
        """The backend's own document (``pycrdt.Doc`` or ``y_py.YDoc``), for editing."""
        ...

    def text(self, name: str) -> str:
        """The root Y.Text ``name`` as a string ("" if absent)."""
        ...


class Backend(Protocol):
    """A document backend."""

    name: str

    def new_document(self) -> Document:
        """A new, empty document."""
        ...

    def merge_updates(self, updates: Sequence[bytes]) -> bytes:
        """Merge v1 updates into one v1 update.

        Raises UpdateError if one of them is malformed.
        """
        ...


def load_backend(name: str = "pycrdt") -> Backend:
    """Return the backend called ``name`` ("pycrdt" or "y-py").

    Raises:
        ValueError: unknown backend name.
        BackendUnavailableError: the backend's library is not installed.
    """
    module_name = _MODULES.get(name)
    if module_name is None:
        raise ValueError(f"unknown CRDT backend {name!r}; expected one of {sorted(_MODULES)}")
    try:
        backend: Backend = importlib.import_module(module_name).load()
    except ImportError as exc:
        raise BackendUnavailableError(f"CRDT backend {name!r} is not installed") from exc
    return backend


# A small update (a Y.Text "вече", a Y.Array and a Y.Map entry, client 1), for warm_up().
_WARM_UP_UPDATE = bytes.fromhex(
    "010301000401017408d0b2d0b5d187d0b508010161017c3f8000002801016d016b0177017600"
)


def warm_up(backend: Backend) -> None:
    """Pay the binding's one-time set-up now rather than on the first document opened.

    The first update a process applies with pycrdt costs ~15-18 ms more than the next ones
    (measured on a 72 KB checkpoint: 18.7 ms, then 0.4 ms); a server calls this at start.
    """
    document = backend.new_document()
    document.apply_update(_WARM_UP_UPDATE)
    document.encode_state()


def available_backends() -> list[str]:
    """Names of the backends that are installed, default first."""
    names = []
    for name in _MODULES:
        try:
            load_backend(name)
        except BackendUnavailableError:
            continue
        names.append(name)
    return names


def merge_for_relay(updates: Sequence[bytes]) -> bytes:
    """Merge updates that a document has applied into one update, to relay them as one
    message (a structural merge, whatever the backend: nothing is replayed or checked, the
    updates were checked when they were applied). Raises UpdateError for malformed bytes."""
    import pycrdt

    from .errors import UpdateError

    try:
        return bytes(pycrdt.merge_updates(*updates))
    except Exception as exc:  # pycrdt raises a bare ValueError or a Rust panic
        raise UpdateError(f"updates cannot be merged: {exc}") from exc
