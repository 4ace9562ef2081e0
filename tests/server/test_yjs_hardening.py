"""Issue 10 on `/yjs/{document}`: oversize frames, frames queued while loading, awareness."""

from __future__ import annotations

import contextlib

from websockets.exceptions import ConnectionClosed

from server.closecodes import CloseCode
from tests.support.server import RunningServer
from tests.support.wire import RawPeer
from tests.support.yjs_node import run_node_script

OVERSIZE = 20 * 1024 * 1024  # twenty times the default VECHE_MAX_FRAME_BYTES


async def test_stock_ws_client_reads_1009_for_every_oversize_frame(server: RunningServer) -> None:
    # Before the lingering close, the server closed the TCP connection right after its close
    # frame while the client was still sending: a reset, and the client saw 1006.
    result = await run_node_script("oversize.mjs", f"{server.yjs}/oversize", str(OVERSIZE), "4")
    assert result["codes"] == [CloseCode.MESSAGE_TOO_BIG] * 4


async def test_python_client_reads_1009_for_every_oversize_frame(server: RunningServer) -> None:
    codes = []
    for _ in range(4):
        peer = await RawPeer.open(f"{server.yjs}/oversize-py")
        # the close may arrive while the frame is still being written
        with contextlib.suppress(ConnectionClosed):
            await peer.send(b"\x00\x02" + b"\x01" * OVERSIZE)
        codes.append(await peer.closed_with(timeout=30))
    assert codes == [CloseCode.MESSAGE_TOO_BIG] * 4
