"""The CRDT sandbox's worker process: integrates updates nobody has proven cheap.

Run as ``python -m server.documents.sandbox_worker BACKEND``; it reads jobs on stdin and writes
results on stdout, one at a time, each framed as a 4-byte big-endian length and a payload (see
`server/documents/sandbox.py`, which owns the framing and kills this process when a job runs
past its deadline). It imports only ``crdt``: no database, no sockets, nothing to leak.
"""

from __future__ import annotations

import struct
import sys
import time
from typing import BinaryIO

from crdt.document import Document, load_backend, warm_up
from crdt.errors import CrdtError

LOAD, TRIAL = 1, 2
OK, REFUSED = 0, 1
_LENGTH = struct.Struct("!I")
_LOADED = struct.Struct("!ddQ")
_TRIED = struct.Struct("!ddQq")  # total, native seconds, added items, main client (-1: none)


def read_frame(stream: BinaryIO) -> bytes | None:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    return stream.read(length)


def pack_blobs(blobs: list[bytes]) -> bytes:
    return _LENGTH.pack(len(blobs)) + b"".join(_LENGTH.pack(len(b)) + b for b in blobs)


def unpack_blobs(data: memoryview) -> list[bytes]:
    (count,) = _LENGTH.unpack_from(data)
    offset, blobs = _LENGTH.size, []
    for _ in range(count):
        (length,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        blobs.append(bytes(data[offset : offset + length]))
        offset += length
    return blobs


def _load(backend_name: str, parts: list[bytes]) -> bytes:
    """Replay the parts, then time loading their compacted state into a fresh document."""
    backend = load_backend(backend_name)
    # CPU time, not wall time: what the work costs, however busy the machine is.
    started = time.thread_time()
    document = backend.new_document()
    for part in parts:
        document.restore(part)
    replay = time.thread_time() - started
    state = document.encode_state()
    items = len(state) // 3  # the bound restore() takes; counting exactly costs ~9 us an item
    started = time.thread_time()
    backend.new_document().restore(state)
    load = time.thread_time() - started
    return _LOADED.pack(replay, load, items) + state


def _trial(backend_name: str, state: bytes, update: bytes) -> bytes:
    """Time applying ``update`` (validated) on top of ``state``."""
    document: Document = load_backend(backend_name).new_document()
    document.restore(state)
    document.items = 0
    document.timed = True
    started = time.thread_time()
    document.apply_update(update)
    total = time.thread_time() - started
    client = -1 if document.last_client is None else document.last_client
    return _TRIED.pack(total, document.native_seconds, document.items, client)


def serve(backend_name: str, jobs: BinaryIO, results: BinaryIO) -> None:
    warm_up(load_backend(backend_name))
    while (frame := read_frame(jobs)) is not None:
        op, blobs = frame[0], unpack_blobs(memoryview(frame)[1:])
        try:
            if op == LOAD:
                payload = bytes([OK]) + _load(backend_name, blobs)
            else:
                payload = bytes([OK]) + _trial(backend_name, blobs[0], blobs[1])
        except CrdtError as exc:
            payload = bytes([REFUSED]) + str(exc).encode()[:500]
        results.write(_LENGTH.pack(len(payload)) + payload)
        results.flush()


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "pycrdt", sys.stdin.buffer, sys.stdout.buffer)
