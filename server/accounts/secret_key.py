"""The signing key: `VECHE_SECRET_KEY`, else a random key kept in a 0600 file and reused."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from storage.database import make_private_directory

KEY_FILE_NAME = "secret_key"


def load_or_create(path: Path) -> bytes:
    """The key stored at ``path``; on first use, 32 random bytes written there with mode 0600.

    Creation is exclusive (``O_EXCL``), so two processes starting at once agree on one key.
    """
    make_private_directory(path.parent)  # 0700, as for the SQLite database beside it
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w") as file:
        file.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text().strip()
    if not text:  # a concurrent creator has not written it yet, or it was truncated
        raise RuntimeError(f"the secret key file {path} is empty; delete it to regenerate")
    return text.encode()
