"""Versions: the update log grouped into runs by one author, and history page cursors."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from storage.errors import InvalidCursor


@dataclass(frozen=True)
class Version:
    """A run of consecutive updates by one author with no pause longer than the limit."""

    author: str | None
    first_seq: int
    last_seq: int
    count: int
    first_at: datetime
    last_at: datetime
    client_ids: list[int]

    def reversed(self) -> Version:
        """The same version with its ends swapped (for runs read newest first)."""
        return replace(
            self,
            first_seq=self.last_seq,
            last_seq=self.first_seq,
            first_at=self.last_at,
            last_at=self.first_at,
        )


@dataclass(frozen=True)
class HistoryPage:
    versions: list[Version]
    next_cursor: str | None


class VersionGrouper:
    """Folds rows, in reading order, into at most ``limit`` complete versions.

    Rows may arrive in either direction; a version's "first" end is the first row read, so
    versions read newest first need ``Version.reversed``. ``full`` turns true on the first row
    beyond the last complete version: there is more history after this page.
    """

    def __init__(self, pause: timedelta, limit: int) -> None:
        self._pause = pause
        self._limit = limit
        self._done: list[Version] = []
        self._run: _Run | None = None
        self.full = False

    def add(self, seq: int, author: str | None, client_id: int | None, at: datetime) -> None:
        run = self._run
        # abs(): clocks of several nodes may disagree a little; order comes from seq.
        if run is not None and run.author == author and abs(at - run.end_at) <= self._pause:
            run.extend(seq, client_id, at)
            return
        if run is not None:
            self._done.append(run.version())
            if len(self._done) == self._limit:
                self.full = True
                self._run = None
                return
        self._run = _Run(author, seq, client_id, at)

    def finish(self) -> list[Version]:
        if self._run is not None:
            self._done.append(self._run.version())
            self._run = None
        return self._done


class _Run:
    def __init__(self, author: str | None, seq: int, client_id: int | None, at: datetime) -> None:
        self.author = author
        self.start_seq = self.end_seq = seq
        self.start_at = self.end_at = at
        self.count = 1
        self.client_ids = set() if client_id is None else {client_id}

    def extend(self, seq: int, client_id: int | None, at: datetime) -> None:
        self.end_seq, self.end_at = seq, at
        self.count += 1
        if client_id is not None:
            self.client_ids.add(client_id)

    def version(self) -> Version:
        return Version(
            author=self.author,
            first_seq=self.start_seq,
            last_seq=self.end_seq,
            count=self.count,
            first_at=self.start_at,
            last_at=self.end_at,
            client_ids=sorted(self.client_ids),
        )


def encode_cursor(seq: int, newest_first: bool) -> str:
    """An opaque cursor: continue after ``seq`` in the given direction."""
    raw = f"v1:{'desc' if newest_first else 'asc'}:{seq}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, newest_first: bool) -> int:
    """The boundary sequence number of a cursor issued for this direction.

    Raises:
        InvalidCursor: the cursor is malformed or was issued for the other direction.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        version, direction, seq_text = text.split(":")
        seq = int(seq_text)
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor(f"malformed history cursor {cursor!r}") from exc
    if version != "v1" or not seq_text.isdigit() or seq >= 2**63:  # a BIGINT holds the rest
        raise InvalidCursor(f"malformed history cursor {cursor!r}")
    if direction != ("desc" if newest_first else "asc"):
        raise InvalidCursor("the cursor belongs to the other direction")
    return seq
