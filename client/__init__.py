"""Veche's Python SDK: documents over the y-websocket protocol."""

from client.document_client import DocumentClient, DocumentClientError
from client.text import byte_offset

__all__ = ["DocumentClient", "DocumentClientError", "byte_offset"]
