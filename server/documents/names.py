"""Rules for document names (the last path segment of `/yjs/{document}`).

Two rules, because names chosen before the second existed must stay usable:

- `readable_document_name`: what the socket opens — 1 to 255 printable characters.
- `valid_document_name`: what a NEW document may be called — the same, without the characters
  that give a URL its structure: `/` and `\\` (a path separator: `GET
  /api/v1/documents/x%2Fhistory` is routed, once decoded, as the history of `x`, and a name with
  `/` matches no document route at all; URL parsers turn `\\` into `/`), `?` and `#` (the stock
  `WebsocketProvider` puts the name in the URL without encoding it, so they would cut the name
  short) and `%` (it would be decoded once more by the server).
"""

MAX_NAME_LENGTH = 255
# characters a new name may not contain (see the module docstring)
URL_STRUCTURE = frozenset("/\\?#%")


def readable_document_name(name: str) -> bool:
    """1-255 characters, no control characters; any script (Cyrillic included)."""
    return 0 < len(name) <= MAX_NAME_LENGTH and name.isprintable()


def valid_document_name(name: str) -> bool:
    """A name a new document may take: readable, and none of `/ \\ ? # %`."""
    return readable_document_name(name) and URL_STRUCTURE.isdisjoint(name)
