"""What both backends share: validation, error conversion, callbacks, rendering, merging."""

from __future__ import annotations

import base64
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from xml.sax.saxutils import escape, quoteattr

from crdt.cost import added_items, integration_steps
from crdt.document import Validated
from crdt.errors import CostlyUpdate, UpdateError
from crdt.lib0 import Decoder
from crdt.update_info import RootType, UpdateSummary, root_types, summarize_update

_EMPTY_UPDATE = b"\x00\x00"
_MAX_EXACT_FLOAT = 2.0**53


def is_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfaced by pyo3 (a BaseException subclass)."""
    return type(exc).__name__ == "PanicException"


@contextmanager
def native_errors(what: str) -> Iterator[None]:
    """Turn errors and panics of the Rust binding into UpdateError.

    KeyboardInterrupt, SystemExit and other BaseExceptions pass through.
    """
    try:
        yield
    except Exception as exc:
        raise UpdateError(f"{what}: {exc}") from exc
    except BaseException as exc:
        if is_panic(exc):
            raise UpdateError(f"{what}: {exc}") from exc
        raise


def parse_state_vector(state_vector: bytes) -> dict[int, int]:
    """Decode a v1 state vector strictly. Raises UpdateError if malformed."""
    try:
        dec = Decoder(state_vector)
        result = {}
        for _ in range(dec.read_var_uint()):
            client = dec.read_var_uint()
            result[client] = dec.read_var_uint()
        if dec.has_content():
            raise UpdateError("trailing bytes after the state vector")
    except UpdateError:
        raise
    except Exception as exc:
        raise UpdateError(f"malformed state vector: {exc}") from exc
    return result


def plain(value: object) -> object:
    """A JSON-serialisable copy of a plain (lib0 any) value.

    Integral floats become ints (as JSON.stringify shows them), dict keys are sorted and
    bytes become base64 text.
    """
    if isinstance(value, float):
        if value.is_integer() and abs(value) <= _MAX_EXACT_FLOAT:
            return int(value)
        return value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dict):
        return {str(k): plain(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return None  # undefined, subdocuments: nothing JSON can show


def xml_element(tag: str, attributes: Iterable[tuple[str, object]], inner: str) -> str:
    """``<tag a="v">inner</tag>`` with attributes sorted by name and values escaped."""
    attrs = "".join(
        f" {name}={quoteattr(value if isinstance(value, str) else str(plain(value)))}"
        for name, value in sorted(attributes)
    )
    return f"<{tag}{attrs}>{inner}</{tag}>"


def xml_text(text: str) -> str:
    """Text content escaped for XML."""
    return escape(text)


def _references_present(summary: UpdateSummary, have: dict[int, int]) -> bool:
    """Whether every id the update refers to is in the document or new in the update."""
    for client, clock in summary.references:
        present = have.get(client, 0)
        if clock < present:
            continue
        first, end = summary.clients.get(client, (0, 0))
        if not first <= present or not clock < end:
            return False
    return True


class BaseDocument(ABC):
    """Validation, error conversion and local-update callbacks around a native document."""

    backend: str = ""
    # Try on a copy any update that refers to ids the document lacks (its binding panics
    # half-way on some of them instead of keeping them pending).
    _check_references: bool = False
    # Keep a copy of the state before every update, to restore if the binding fails half-way.
    _snapshot_always: bool = False
    # Largest client id the binding keeps intact (None: any lib0 varUint).
    _max_client_id: int | None = None

    def __init__(self) -> None:
        self._callbacks: list[Callable[[bytes], None]] = []
        self._applying = False
        # Ids of the nested-type items the document holds, complete while the document's
        # own client clock (bumped by local edits, which we do not see) is _own_clock.
        self._type_ids: set[tuple[int, int]] = set()
        self._own_clock = 0
        # An upper bound on the items the document holds, and the most integration steps
        # (crdt/cost.py) an update may take before apply_update refuses it (None: no limit).
        self.items = 0
        self.step_limit: int | None = None
        # Of the last update applied: its main client id and the binding's time on it.
        self.last_client: int | None = None
        self.native_seconds = 0.0
        self.timed = False
        self._validated: Validated | None = None

    # -- what a backend provides ------------------------------------------------------------
    @abstractmethod
    def _apply_native(self, update: bytes) -> None: ...

    @abstractmethod
    def _encode_native(self, state_vector: bytes | None) -> bytes: ...

    @abstractmethod
    def state_vector(self) -> bytes:
        """The encoded (v1) state vector."""

    @abstractmethod
    def _client_id(self) -> int: ...

    @abstractmethod
    def _scratch(self) -> BaseDocument: ...

    @abstractmethod
    def _reset(self, snapshot: bytes) -> None:
        """Replace the native document by one holding ``snapshot`` (same client id)."""

    @abstractmethod
    def _read_root(self, name: str, root_type: RootType) -> object: ...

    @abstractmethod
    def _start_observing(self) -> None: ...

    @abstractmethod
    def _stop_observing(self) -> None: ...

    # -- the Document interface ----------------------------------------------------------
    @property
    def client_id(self) -> int:
        """The Yjs client id of this document's own (local) edits."""
        return self._client_id()

    def apply_update(self, update: bytes) -> None:
        """Apply a v1 update; a refused update leaves the document unchanged.

        The update is parsed first (pure Python). Yrs decodes before it integrates, but it
        can still fail half-way when an item names as parent an item that is not a type; so
        an update that names a parent by id not known to be a type is first tried on a
        scratch copy of the document (the only case that costs a copy).

        After :meth:`expect_validated`, the next update is taken as validated elsewhere (in
        another process, on this document's state): it is integrated without parsing.

        Raises:
            UpdateError: the update is malformed or the binding refused it.
            CostlyUpdate: its integration bound is over ``step_limit`` (nothing applied).
        """
        validated, self._validated = self._validated, None
        if validated is not None:
            self._integrate(update)
            self.items += validated.added_items
            self.last_client = validated.primary_client
            self._own_clock = -1  # nested-type ids unknown now: rescan on the next check
            return
        summary = summarize_update(update)
        if self.step_limit is not None:
            steps = integration_steps(summary, self.items)
            if steps > self.step_limit:
                raise CostlyUpdate(steps, self.step_limit)
        if self._max_client_id is not None:
            self._check_client_ids(summary, self._max_client_id)
        before: dict[int, int] | None = None
        snapshot: bytes | None = None
        if (
            summary.parent_ids
            or summary.type_ids
            or (self._check_references and summary.references)
        ):
            before = parse_state_vector(self.state_vector())
            if not self._parents_known(summary, before) or (
                self._check_references and not _references_present(summary, before)
            ):
                snapshot = self._encode_native(None)
                self._trial_apply(snapshot, update)
        if snapshot is None and self._snapshot_always:
            snapshot = self._encode_native(None)
        try:
            self._integrate(update)
        except UpdateError:
            if snapshot is not None:  # the binding failed half-way despite the trial
                self._reset(snapshot)
            raise
        self.items += added_items(summary)
        self.last_client = summary.primary_client
        if before is not None:
            self._type_ids.update(
                (client, clock)
                for client, clock in summary.type_ids
                if clock >= before.get(client, 0)  # not a duplicate of what the doc had
            )

    def expect_validated(self, validated: Validated | None) -> None:
        """Take the next :meth:`apply_update` as validated elsewhere (None: no longer)."""
        self._validated = validated

    def _integrate(self, update: bytes) -> None:
        self._applying = True
        # CPU time: what it costs, whatever else the machine runs
        started = time.thread_time() if self.timed else 0.0
        try:
            with native_errors("update refused"):
                self._apply_native(update)
        finally:
            self._applying = False
            if self.timed:
                self.native_seconds = time.thread_time() - started

    def _check_client_ids(self, summary: UpdateSummary, limit: int) -> None:
        ids = [*summary.clients, *summary.deleted, *(ref[0] for ref in summary.references)]
        if any(client_id > limit for client_id in ids):
            raise UpdateError(f"the {self.backend} backend cannot hold client ids above {limit}")

    def restore(self, update: bytes) -> None:
        """Apply an update validated before (read back from storage), without validating it.

        ``items`` grows by a bound read off the size (an item takes at least three bytes); a
        caller that counted the items exactly sets ``items`` afterwards.

        Raises:
            UpdateError: the binding refused it.
        """
        self._applying = True
        try:
            with native_errors("stored update refused"):
                self._apply_native(update)
        finally:
            self._applying = False
        self.items += len(update) // 3
        self._own_clock = -1  # nested-type ids unknown now: rescan on the next parent check

    def _parents_known(self, summary: UpdateSummary, have: dict[int, int]) -> bool:
        """Whether every parent the update names by id is known to be a type."""
        if not summary.parent_ids:
            return True
        own_clock = have.get(self._client_id(), 0)
        if own_clock != self._own_clock:  # local edits since the last scan: rescan
            state = summarize_update(self._encode_native(None))
            self._type_ids = set(state.type_ids)
            self._own_clock = own_clock
        for client, clock in summary.parent_ids:
            if clock < have.get(client, 0):
                if (client, clock) not in self._type_ids:
                    return False
            elif (client, clock) not in summary.type_ids:
                return False  # not a new type of this update: missing, or not a type
        return True

    def _trial_apply(self, snapshot: bytes, update: bytes) -> None:
        scratch = self._scratch()
        with native_errors("update refused"):
            scratch._apply_native(snapshot)
            scratch._apply_native(update)
            scratch._encode_native(None)  # an old binding may accept what it cannot encode

    def encode_state(self, state_vector: bytes | None = None) -> bytes:
        """The whole state as a v1 update, or the diff against ``state_vector``.

        Raises:
            UpdateError: ``state_vector`` is malformed.
        """
        if state_vector is not None:
            parse_state_vector(state_vector)
        with native_errors("cannot encode the state"):
            return self._encode_native(state_vector)

    def render(self, roots: Mapping[str, RootType] | None = None) -> dict[str, object]:
        """Every root with content, by name (sorted); root types are inferred from the state
        unless given (``roots``: `root_types` of the current state).

        Text -> str, Map -> dict, Array -> list, XmlFragment -> XML str; a root whose type
        cannot be inferred (only deleted content) -> None.
        """
        if roots is None:
            roots = root_types(self.encode_state())
        return {
            name: None if roots[name] is RootType.UNKNOWN else self._read_root(name, roots[name])
            for name in sorted(roots)
        }

    def text(self, name: str) -> str:
        """The root Y.Text ``name`` as a string ("" if absent)."""
        value = self._read_root(name, RootType.TEXT)
        return value if isinstance(value, str) else ""

    def on_local_update(self, callback: Callable[[bytes], None]) -> Callable[[], None]:
        """Call ``callback`` with the v1 update of each local transaction (made through
        ``native``, not :meth:`apply_update`). Returns an idempotent unsubscribe function."""
        if not self._callbacks:
            self._start_observing()
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
                if not self._callbacks:
                    self._stop_observing()

        return unsubscribe

    def _dispatch(self, update: bytes) -> None:
        if self._applying or update == _EMPTY_UPDATE:
            return
        for callback in list(self._callbacks):
            callback(update)


def merge_by_replay(
    new_document: Callable[[], BaseDocument],
    updates: Sequence[bytes],
    fallback: Callable[[Sequence[bytes]], bytes],
) -> bytes:
    """Merge updates by applying them to a fresh document and encoding its state.

    That is much faster and smaller than a structural merge, but only right when the updates
    hold everything they depend on (a log from the start, or a checkpoint and what follows).
    Otherwise some would stay pending in the fresh document and be lost, so then the
    structural ``fallback`` merge is used.

    Raises:
        UpdateError: an update is malformed.
    """
    if not updates:
        return _EMPTY_UPDATE
    if len(updates) == 1:
        summarize_update(updates[0])
        return bytes(updates[0])
    summaries = [summarize_update(update) for update in updates]
    doc = new_document()
    for update in updates:
        with native_errors("update refused"):
            doc._apply_native(update)
    have = parse_state_vector(doc.state_vector())
    complete = all(
        have.get(client, 0) >= end
        for summary in summaries
        for client, (_start, end) in summary.clients.items()
    ) and all(
        have.get(client, 0) >= clock + length
        for summary in summaries
        for client, ranges in summary.deleted.items()
        for clock, length in ranges
    )
    if complete:
        return doc.encode_state()
    with native_errors("cannot merge the updates"):
        return fallback(updates)
