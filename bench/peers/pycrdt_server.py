"""Runs pycrdt-websocket's ASGIServer under uvicorn on 127.0.0.1 for the benchmark.

Usage: python pycrdt_server.py PORT [SQLITE_FILE] — with a file, every room gets pycrdt-store's
SQLiteYStore (one table, rows per update, keyed by the room name). Runs in its own venv under
bench/.peers/, so it is not type-checked with Veche.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from pycrdt import Doc
from pycrdt.websocket import ASGIServer, WebsocketServer, YRoom

PORT = int(sys.argv[1])
STORE_FILE = sys.argv[2] if len(sys.argv) > 2 else None


class StoredServer(WebsocketServer):
    """A WebsocketServer whose rooms persist through SQLiteYStore (the documented pattern)."""

    async def get_room(self, name: str) -> YRoom:
        if name not in self.rooms and STORE_FILE is not None:
            from pycrdt.store import SQLiteYStore

            class Store(SQLiteYStore):
                db_path = STORE_FILE

            # YRoom does not read its store: load the stored updates into the document first
            # (before the room observes it, so they are not written back).
            store = Store(name)
            assert self._task_group is not None
            await self._task_group.start(store.start)
            doc: Doc = Doc()
            await store.apply_updates(doc)
            self.rooms[name] = YRoom(ready=self.rooms_ready, ystore=store, log=self.log, ydoc=doc)
        return await super().get_room(name)


websocket_server = StoredServer()
asgi = ASGIServer(websocket_server)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        # ASGIServer acknowledges the lifespan but does not start the WebsocketServer: do it here.
        message = await receive()
        async with websocket_server:
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
        assert message["type"] == "lifespan.shutdown"
        await send({"type": "lifespan.shutdown.complete"})
        return
    await asgi(scope, receive, send)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", lifespan="on")
