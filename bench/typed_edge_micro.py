"""What a typed REST edge costs per request: validating a body and encoding an answer.

    .venv/bin/python bench/typed_edge_micro.py

Compares, for a room creation body and a room answer, Veche's path (the hardened `json.loads`
of server/http/bodies.py, `msgspec.convert`, `msgspec.json.encode`), msgspec decoding the
bytes directly, the hand-written path it replaced (dicts and `json.dumps`) and pydantic v2 —
the last only when pydantic is importable (it is not a dependency of Veche: install it in a
throw-away venv beside msgspec to compare). Best of 5 × 20,000 calls, µs per request.
"""

from __future__ import annotations

import json
import timeit
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import msgspec

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
CALLS = 20_000


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class NewRoom(msgspec.Struct, kw_only=True):
    slug: Annotated[str, msgspec.Meta(pattern=SLUG)]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")] | None = None
    description: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    visibility: Visibility = Visibility.PRIVATE


class Room(msgspec.Struct):
    slug: str
    title: str
    description: str
    visibility: str
    archived_at: str | None
    created_at: str | None
    role: str | None
    documents: list[str]


RAW = json.dumps(
    {
        "slug": "obshtina-plovdiv",
        "title": "Общински съвет Пловдив",
        "description": "Обществени консултации " * 5,
        "visibility": "public",
    }
).encode()
ROOM: dict[str, Any] = {
    "slug": "obshtina-plovdiv",
    "title": "Общински съвет",
    "description": "x" * 100,
    "visibility": "public",
    "archived_at": None,
    "created_at": "2026-12-05T01:00:00+00:00",
    "role": "owner",
    "documents": [f"doc-{i}" for i in range(10)],
}


def hand_written() -> bytes:
    json.loads(RAW)
    return json.dumps(ROOM, ensure_ascii=False, separators=(",", ":")).encode()


def veche() -> bytes:
    msgspec.convert(json.loads(RAW), NewRoom)
    return msgspec.json.encode(Room(**ROOM))


def msgspec_direct() -> bytes:
    msgspec.json.decode(RAW, type=NewRoom)
    return msgspec.json.encode(Room(**ROOM))


def _pydantic() -> list[Callable[[], bytes]]:
    try:
        import pydantic
    except ImportError:
        return []
    text = pydantic.StringConstraints

    class PNewRoom(pydantic.BaseModel):
        slug: Annotated[str, text(pattern=SLUG)]
        title: Annotated[str, text(min_length=1, max_length=200, pattern=r"\S")] | None = None
        description: Annotated[str, text(max_length=4000)] = ""
        visibility: Visibility = Visibility.PRIVATE

    class PRoom(pydantic.BaseModel):
        slug: str
        title: str
        description: str
        visibility: str
        archived_at: str | None
        created_at: str | None
        role: str | None
        documents: list[str]

    def pydantic_same_path() -> bytes:
        PNewRoom.model_validate(json.loads(RAW))
        return PRoom(**ROOM).model_dump_json().encode()

    def pydantic_direct() -> bytes:
        PNewRoom.model_validate_json(RAW)
        return PRoom(**ROOM).model_dump_json().encode()

    return [pydantic_same_path, pydantic_direct]


def main() -> None:
    for candidate in (hand_written, veche, msgspec_direct, *_pydantic()):
        best = min(timeit.repeat(candidate, number=CALLS, repeat=5))
        print(f"{candidate.__name__:20} {best / CALLS * 1e6:6.2f} µs per request")


if __name__ == "__main__":
    main()
