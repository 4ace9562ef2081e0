"""The CRDT sandbox's worker process: integrates updates nobody has proven cheap.

Run as ``python -m server.documents.sandbox_worker BACKEND``; it reads jobs on stdin and writes
results on stdout, one at a time, each framed as a 4-byte big-endian length and a payload (see
`server/documents/sandbox.py`, which owns the framing). A job carries its deadline in seconds of
CPU time: the process arms a CPU timer (``ITIMER_PROF``) for it, and SIGPROF, whose default
action ends the process, stops a job that runs past it even while the binding holds the GIL.
CPU time, not wall time: on a busy machine a cheap job waits for a core without being taken for
a costly one. It imports only ``crdt``: no database, no sockets, nothing to leak.
"""

from __future__ import annotations

import signal
import struct
import sys
import time
from typing import BinaryIO

from crdt.document import Document, load_backend, warm_up
from crdt.errors import CrdtError

LOAD, TRIAL = 1, 2
OK, REFUSED = 0, 1
_LENGTH = struct.Struct("!I")
_DEADLINE = struct.Struct("!d")  # a job's deadline, seconds of CPU time, after its op byte
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


def pack_job(op: int, cpu_deadline: float, blobs: list[bytes]) -> bytes:
    """A job's frame payload: its op, its deadline in seconds of CPU time, its blobs."""
    return bytes([op]) + _DEADLINE.pack(cpu_deadline) + pack_blobs(blobs)


def serve(backend_name: str, jobs: BinaryIO, results: BinaryIO) -> None:
    warm_up(load_backend(backend_name))
    while (frame := read_frame(jobs)) is not None:
        op = frame[0]
        (cpu_deadline,) = _DEADLINE.unpack_from(frame, 1)
        blobs = unpack_blobs(memoryview(frame)[1 + _DEADLINE.size :])
        # the timer counts this process's CPU time from here; past it, SIGPROF ends the process
        signal.setitimer(signal.ITIMER_PROF, cpu_deadline)
        try:
            if op == LOAD:
                payload = bytes([OK]) + _load(backend_name, blobs)
            else:
                payload = bytes([OK]) + _trial(backend_name, blobs[0], blobs[1])
        except CrdtError as exc:
            payload = bytes([REFUSED]) + str(exc).encode()[:500]
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        results.write(_LENGTH.pack(len(payload)) + payload)
        results.flush()


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "pycrdt", sys.stdin.buffer, sys.stdout.buffer)
