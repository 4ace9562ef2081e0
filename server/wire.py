"""Server-to-client WebSocket frames, encoded once and written to every receiver as they are.

A server frame is not masked, so the bytes of one binary message are the same for every
connection: relaying encodes each update once instead of once per receiver.
"""

from __future__ import annotations

import struct

_FIN_BINARY = 0x82


def encode_binary_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked binary frame (RFC 6455 §5.2) carrying `payload`."""
    length = len(payload)
    if length < 126:
        header = bytes((_FIN_BINARY, length))
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FIN_BINARY, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN_BINARY, 127, length)
    return header + payload
