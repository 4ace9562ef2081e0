"""Veche's Python SDK: documents over the y-websocket protocol."""

from client.document_client import DocumentClient, DocumentClientError

__all__ = ["DocumentClient", "DocumentClientError"]
