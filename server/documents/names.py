"""Rules for document names (the last path segment of `/yjs/{document}`)."""

MAX_NAME_LENGTH = 255


def valid_document_name(name: str) -> bool:
    """1-255 characters, no control characters; any script (Cyrillic included)."""
    return 0 < len(name) <= MAX_NAME_LENGTH and name.isprintable()
