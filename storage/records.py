"""Plain values out of ORM records, so no session-bound object leaves the storage layer."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Value = TypeVar("Value", bound="DataclassInstance")


def detached(kind: type[Value], record: object) -> Value:
    """A `kind` dataclass filled from the record's attributes of the same names."""
    return kind(**{field.name: getattr(record, field.name) for field in fields(kind)})
