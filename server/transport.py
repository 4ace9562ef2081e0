"""The WebSocket transport under Starlette: uvicorn's sans-I/O `websockets` protocol, adjusted.

uvicorn's protocol waits until the socket is writable before sending *anything*, a close frame
included. A client that stops reading never makes it writable again, so closing a slow reader
would wait forever. Here a close requested while the socket is not writable is queued behind
the buffered data at once, and the connection is aborted if the peer has not read it within
`ABORT_AFTER` seconds. Everything else is uvicorn's behaviour.
"""

from __future__ import annotations

from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

ABORT_AFTER = 10.0


class VecheWebSocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: Any) -> None:
        if (
            message["type"] == "websocket.close"
            and self.handshake_complete
            and not self.writable.is_set()
            and not (self.close_sent or self.disconnected)
        ):
            code = int(message.get("code", 1000))
            reason = str(message.get("reason") or "")
            self.queue.put_nowait(
                cast(Any, {"type": "websocket.disconnect", "code": code, "reason": reason})
            )
            self.conn.send_close(code, reason)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
            if self.read_paused:
                self.read_paused = False
                self.transport.resume_reading()
            self.close_timer = self.loop.call_later(ABORT_AFTER, self.transport.abort)
            return
        await super().send(message)
