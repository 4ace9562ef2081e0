"""A document's versions: its content at a sequence number, and the list of its versions
(runs of updates by one author, storage/history.py). Whoever asks has been admitted
(server/documents/admission.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.documents import DocumentTooCostly, InvalidDocumentInput, NoSuchDocument
from server.documents.isolation import CostlyWork, DocumentLoader
from server.documents.rendering import render
from server.documents.sandbox import SandboxError
from storage.document_log import DocumentLog
from storage.errors import DocumentNotFound, InvalidCursor
from storage.history import HistoryPage, decode_cursor

MAX_SEQ = 2**63 - 1  # document versions are 64-bit


@dataclass(frozen=True)
class Content:
    """A document's roots at version ``seq`` (``latest_seq``: its last version)."""

    name: str
    seq: int
    latest_seq: int
    roots: dict[str, object]


class Versions:
    def __init__(self, *, log: DocumentLog, loader: DocumentLoader) -> None:
        self._log, self._loader = log, loader

    async def history(
        self, name: str, *, cursor: str | None, limit: int, pause: timedelta, newest_first: bool
    ) -> HistoryPage:
        """A page of versions from ``cursor`` (one this API issued, else InvalidDocumentInput
        ``cursor``); NoSuchDocument."""
        stored = await self._log.find_document(name)
        if stored is None:
            raise NoSuchDocument(name)
        try:
            # storage's decoder takes any number of digits; past 64 bits SQL would fail (500)
            if cursor is not None and decode_cursor(cursor, newest_first) > MAX_SEQ:
                raise InvalidCursor("the cursor is not one this API issued")
            return await self._log.history(
                stored.id, cursor=cursor, limit=limit, pause=pause, newest_first=newest_first
            )
        except InvalidCursor as exc:
            raise InvalidDocumentInput("cursor", str(exc)) from None

    async def content(self, name: str, at: int | None) -> Content:
        """The document at version ``at`` (None: the last); NoSuchDocument,
        InvalidDocumentInput ``at`` past the last version, DocumentTooCostly."""
        try:
            state = await self._log.load(name, upto_seq=at)
        except DocumentNotFound:
            raise NoSuchDocument(name) from None
        last = await self._log.last_seq(state.document.id)
        if at is not None and at > last:
            raise InvalidDocumentInput(
                "at", f"at must be at most {last}, the document's last version"
            )
        parts = [state.checkpoint] if state.checkpoint is not None else []
        try:
            materialized = await self._loader.materialize([*parts, *state.updates])
        except (CostlyWork, SandboxError) as exc:
            raise DocumentTooCostly(str(exc)) from None
        seq = state.last_seq if at is None else at
        return Content(name, seq, last, await render(materialized.document))
