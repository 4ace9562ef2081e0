"""WebSocket close codes used by Veche (documented in docs/protocol.md).

The stock y-websocket client reconnects after any close code except 4400-4499, so codes a
client should retry after (overload, slow reader) live in the 4500 range.
"""

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    # 4400-4499: the client must not reconnect.
    BAD_REQUEST = 4400
    UNAUTHENTICATED = 4401
    FORBIDDEN = 4403
    UNKNOWN_DOCUMENT = 4404
    TOO_MANY_CONNECTIONS = 4429
    # 4500-4599: try again later; the client reconnects and resyncs.
    OVERLOADED = 4500
    SLOW_READER = 4508
    UPDATE_TOO_COSTLY = 4509  # its CRDT work is over the budget (docs/crdt-isolation.md)
