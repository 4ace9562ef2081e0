"""Line diffs of a document's Y.Text roots: an amendment against its base (docs/amendments.md
has the format). Pure functions over texts; the values are what the API answers."""

from __future__ import annotations

import difflib
from typing import Literal

import msgspec

from crdt.document import Document
from crdt.update_info import RootType, summarize_update

CONTEXT_LINES = 3  # of the unified diff


class LineChange(msgspec.Struct, frozen=True):
    """One run of lines that differs: 0-based half-open line ranges in both texts, the text
    removed from the base and the text the amendment adds."""

    op: Literal["insert", "delete", "replace"]
    base_lines: tuple[int, int]
    amendment_lines: tuple[int, int]
    removed: str
    added: str


class TextDiff(msgspec.Struct, frozen=True):
    """Both texts, a unified diff (as diff(1) writes it) and the changed runs of lines."""

    base: str
    amendment: str
    changed: bool
    unified: str
    changes: list[LineChange]


def text_roots(document: Document) -> dict[str, str]:
    """The text of each Y.Text root of ``document``, by name."""
    roots = summarize_update(document.encode_state()).root_types
    return {name: document.text(name) for name, kind in roots.items() if kind is RootType.TEXT}


def roots_diff(
    base: dict[str, str], amendment: dict[str, str], names: tuple[str, str]
) -> dict[str, TextDiff]:
    """The diff of every root either side has (a missing one is empty), by root name;
    ``names`` are the two documents' names, for the unified diffs' headers."""
    return {
        root: text_diff(
            base.get(root, ""),
            amendment.get(root, ""),
            (f"{names[0]}/{root}", f"{names[1]}/{root}"),
        )
        for root in sorted(base.keys() | amendment.keys())
    }


def text_diff(base: str, amendment: str, names: tuple[str, str]) -> TextDiff:
    """A line diff of two texts; lines keep their line ends."""
    a, b = base.splitlines(keepends=True), amendment.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    changes = [
        LineChange(tag, (i1, i2), (j1, j2), "".join(a[i1:i2]), "".join(b[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    return TextDiff(base, amendment, base != amendment, _unified(matcher, a, b, names), changes)


def _range(start: int, end: int) -> str:
    """A hunk range of a unified diff (as difflib and diff(1) write it)."""
    length = end - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def _unified(
    matcher: difflib.SequenceMatcher[str], a: list[str], b: list[str], names: tuple[str, str]
) -> str:
    out: list[str] = []

    def put(prefix: str, line: str) -> None:
        out.append(prefix + line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")

    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if not out:
            out.append(f"--- {names[0]}\n+++ {names[1]}\n")
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for line in a[i1:i2]:
                    put(" ", line)
                continue
            for line in a[i1:i2]:
                put("-", line)
            for line in b[j1:j2]:
                put("+", line)
    return "".join(out)
