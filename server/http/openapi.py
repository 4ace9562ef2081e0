"""The OpenAPI document of the REST API (`/api/v1/openapi.json`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "Problem details (RFC 9457)",
            "content": {"application/problem+json": {"schema": _PROBLEM}},
        }
        for code in codes
    }


_DOCUMENT = {"name": "document", "in": "path", "required": True, "schema": {"type": "string"}}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Veche API", "version": "1"},
    "paths": {
        "/api/v1/documents/{document}": {
            "get": {
                "summary": "Content of a document, now or at a version",
                "parameters": [
                    _DOCUMENT,
                    {
                        "name": "at",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "sequence number of the version; omitted = latest",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Each root type rendered: Y.Text as a string, "
                        "Y.Map as an object, Y.Array as an array, Y.XmlFragment as XML",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/DocumentContent"}
                            }
                        },
                    },
                    **_errors(404, 422),
                },
            }
        },
        "/api/v1/documents/{document}/history": {
            "get": {
                "summary": "Versions: updates grouped by author and pauses",
                "parameters": [
                    _DOCUMENT,
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    },
                    {
                        "name": "pause",
                        "in": "query",
                        "description": "seconds of silence that end a version",
                        "schema": {"type": "integer", "minimum": 0, "default": 60},
                    },
                    {
                        "name": "order",
                        "in": "query",
                        "schema": {"enum": ["asc", "desc"], "default": "desc"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A page of versions",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/HistoryPage"}
                            }
                        },
                    },
                    **_errors(404, 422),
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Problem": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "instance": {"type": "string"},
                },
                "required": ["type", "title", "status"],
            },
            "DocumentContent": {
                "type": "object",
                "properties": {
                    "document": {"type": "string"},
                    "seq": {"type": "integer"},
                    "latest_seq": {"type": "integer"},
                    "content": {"type": "object"},
                },
                "required": ["document", "seq", "latest_seq", "content"],
            },
            "Version": {
                "type": "object",
                "properties": {
                    "author": {"type": ["string", "null"]},
                    "first_seq": {"type": "integer"},
                    "last_seq": {"type": "integer"},
                    "updates": {"type": "integer"},
                    "first_at": {"type": "string", "format": "date-time"},
                    "last_at": {"type": "string", "format": "date-time"},
                    "client_ids": {"type": "array", "items": {"type": "integer"}},
                },
            },
            "HistoryPage": {
                "type": "object",
                "properties": {
                    "document": {"type": "string"},
                    "versions": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Version"},
                    },
                    "next_cursor": {"type": ["string", "null"]},
                },
            },
        }
    },
}


async def openapi(request: Request) -> Response:
    return JSONResponse(SPEC)
