"""Positions in a pycrdt `Text`.

pycrdt addresses a `Text` by UTF-8 byte offsets (`len(text)` is a byte count), while Python
strings and Yjs count characters and UTF-16 units. An insert at an offset inside a multi-byte
character makes an update that other Yjs clients cannot integrate, so convert first.
"""

from __future__ import annotations


def byte_offset(content: str, index: int) -> int:
    """The pycrdt offset of character `index` (a Python str index) in `content`.

    Raises IndexError when `index` is outside 0..len(content).
    """
    if not 0 <= index <= len(content):
        raise IndexError(f"index {index} outside 0..{len(content)}")
    return len(content[:index].encode("utf-8"))
