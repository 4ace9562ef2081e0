"""Veche's Python SDK: documents over the y-websocket protocol, live rooms over JSON."""

from client.document_client import DocumentClient, DocumentClientError
from client.live_client import LiveClient, LiveClientError
from client.text import byte_offset

__all__ = ["DocumentClient", "DocumentClientError", "LiveClient", "LiveClientError", "byte_offset"]
