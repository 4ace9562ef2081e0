"""Errors raised by the storage package.

Hierarchy::

    StorageError              root; also raised when the database cannot be reached (ping)
     ├── DocumentNotFound     no document with that name exists
     ├── InvalidCursor        a history cursor that this package did not issue
     ├── UserExists           a user with that name exists already
     ├── RoomExists           a room with that slug exists already
     ├── DocumentTaken        the document belongs to a room already
     ├── LastOwner            the change would leave a room without an owner
     ├── NotPermitted         the membership change is not allowed to its actor, judged on
     │                        the roles of the moment it runs
     ├── UnknownDocument      an update to store names a document that does not exist
     ├── BoardUnavailable     the shared presence board (Redis) cannot be reached now
     └── UpdateRejected       the database refused a submitted row for good (a value it
                              cannot hold, or its document is unknown)

Errors of the database driver (SQLAlchemy's ``DBAPIError`` family) pass through unchanged
everywhere except in ``GroupCommitter``, which retries them.
"""

from __future__ import annotations


class StorageError(Exception):
    """Root of every error raised by ``storage``."""


class DocumentNotFound(StorageError):
    """No document with the given name exists."""


class InvalidCursor(StorageError):
    """A history cursor is malformed or belongs to the other direction."""


class UnknownDocument(StorageError):
    """An update to store names a document id that does not exist."""


class BoardUnavailable(StorageError):
    """The shared presence board (Redis) cannot be reached now."""


class UpdateRejected(StorageError):
    """A row can never be committed (a value the database refuses, or an unknown document)."""


class UserExists(StorageError):
    """A user with the given name exists already."""


class RoomExists(StorageError):
    """A room with the given slug exists already."""


class DocumentTaken(StorageError):
    """The document belongs to a room already."""


class LastOwner(StorageError):
    """The membership change would leave the room without an owner."""


class NotPermitted(StorageError):
    """The actor may not make the membership change, judged on the roles under the lock."""
