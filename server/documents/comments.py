"""Anchored comments: a comment on a range of a document's Y.Text root, anchored by two Yjs
relative positions, so that it follows the text it is about through later edits (it stays,
empty, when that text is deleted). docs/amendments.md has the rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from crdt.positions import Assoc, TextPositions
from server.documents import InvalidDocumentInput
from server.documents.admission import DocumentCaller
from server.documents.forks import Forks
from server.policy import Action
from storage.amendments import AmendmentStore, StoredComment

DEFAULT_ROOT = "content"


@dataclass(frozen=True)
class AnchoredComment:
    """A comment with where its range is now (None: its root is no Y.Text any more) and the
    text the range holds."""

    comment: StoredComment
    anchor: tuple[int, int] | None
    text: str

    @property
    def deleted(self) -> bool:
        """The text it was about is gone."""
        return self.anchor is None or self.anchor[0] == self.anchor[1]


def anchor_of(
    positions: TextPositions, root: str, start: bytes, end: bytes
) -> tuple[int, int] | None:
    """Where a comment's range is in the text now; None when its root is no Y.Text."""
    return positions.resolve_range(root, start, end) if positions.is_text(root) else None


class Comments:
    def __init__(
        self, *, forks: Forks, store: AmendmentStore, clock: Callable[[], datetime]
    ) -> None:
        self._forks, self._store, self._clock = forks, store, clock

    async def listed(self, caller: DocumentCaller) -> list[AnchoredComment]:
        """The document's comments, oldest first, anchored in the document as it is now."""
        stored = await self._store.comments(caller.document_id)
        if not stored:
            return []
        document, _ = await self._forks.current(caller.name)
        positions = TextPositions(document)  # a copy: read before the next await
        listed = []
        for comment in stored:
            anchor = anchor_of(
                positions, comment.root, comment.start_position, comment.end_position
            )
            text = "" if anchor is None else positions.text(comment.root)[anchor[0] : anchor[1]]
            listed.append(AnchoredComment(comment, anchor, text))
        return listed

    async def add(
        self, caller: DocumentCaller, *, root: str, start: int, end: int, body: str
    ) -> AnchoredComment:
        """Comment on code points [start, end) of ``root`` as it is now (those who may
        comment); InvalidDocumentInput ``root`` or ``end``."""
        caller.require(Action.COMMENT)
        document, _ = await self._forks.current(caller.name)
        positions = TextPositions(document)  # a copy: read before the next await
        if not positions.is_text(root):
            raise InvalidDocumentInput("root", f"the root {root!r} is not a Y.Text")
        text = positions.text(root)
        if not start < end <= len(text):
            raise InvalidDocumentInput(
                "end", f"the range must satisfy start < end <= {len(text)} (the text's length)"
            )
        stored = await self._store.add_comment(
            caller.document_id,
            root=root,
            start_position=positions.position(root, start, Assoc.AFTER),
            end_position=positions.position(root, end, Assoc.BEFORE),
            quote=text[start:end],
            author_id=caller.user_id,
            body=body,
            created_at=self._clock(),
        )
        return AnchoredComment(stored, (start, end), text[start:end])
