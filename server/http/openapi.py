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


_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_STRINGS = {"type": "object", "additionalProperties": False}
_ACCOUNT_PATHS: dict[str, Any] = {
    "/api/v1/auth/login": {
        "post": {
            "summary": "Sign in with a name and password (rate-limited per account and address)",
            "requestBody": _body(
                {
                    **_STRINGS,
                    "properties": {"name": {"type": "string"}, "password": {"type": "string"}},
                    "required": ["name", "password"],
                }
            ),
            "responses": {
                "200": _json("Tokens", "An access token and a refresh token"),
                **_errors(400, 401, 422, 429),
            },
        }
    },
    "/api/v1/auth/refresh": {
        "post": {
            "summary": "Rotate a refresh token; presenting a rotated one revokes the session",
            "requestBody": _body(
                {
                    **_STRINGS,
                    "properties": {"refresh_token": {"type": "string"}},
                    "required": ["refresh_token"],
                }
            ),
            "responses": {
                "200": _json("Tokens", "New access and refresh tokens"),
                **_errors(400, 401, 422),
            },
        }
    },
    "/api/v1/auth/logout": {
        "post": {
            "summary": "Revoke the session of the access token",
            "security": _BEARER,
            "responses": {"204": {"description": "Signed out"}, **_errors(401, 422)},
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "The signed-in user",
            "security": _BEARER,
            "responses": {"200": _json("User", "The caller"), **_errors(401)},
        }
    },
    "/api/v1/tokens": {
        "get": {
            "summary": "The caller's API tokens (secrets are never shown again)",
            "security": _BEARER,
            "responses": {"200": _json("ApiTokenList", "Newest first"), **_errors(401)},
        },
        "post": {
            "summary": "Issue an API token; its secret is in the answer only",
            "security": _BEARER,
            "requestBody": _body({**_STRINGS, "properties": {"label": {"type": "string"}}}),
            "responses": {"201": _json("IssuedApiToken", "The new token"), **_errors(401, 422)},
        },
    },
    "/api/v1/tokens/{token_id}": {
        "delete": {
            "summary": "Revoke one of the caller's API tokens",
            "security": _BEARER,
            "parameters": [
                {"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {"204": {"description": "Revoked"}, **_errors(401, 404)},
        }
    },
    "/api/v1/audit": {
        "get": {
            "summary": "The audit log, newest first (administrators)",
            "security": _BEARER,
            "parameters": [
                {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
            ],
            "responses": {"200": _json("AuditPage", "A page of events"), **_errors(401, 403, 422)},
        }
    },
}

_TIME = {"type": "string", "format": "date-time"}
_OPTIONAL_TIME = {"type": ["string", "null"], "format": "date-time"}
_API_TOKEN = {
    "id": {"type": "integer"},
    "label": {"type": "string"},
    "created_at": _TIME,
    "last_used_at": _OPTIONAL_TIME,
    "revoked_at": _OPTIONAL_TIME,
}
_ACCOUNT_SCHEMAS: dict[str, Any] = {
    "Tokens": {
        "type": "object",
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer", "description": "seconds"},
            "refresh_token": {"type": "string"},
        },
        "required": ["access_token", "token_type", "expires_in", "refresh_token"],
    },
    "User": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "display_name": {"type": "string"},
            "locale": {"enum": ["bg", "en"]},
            "is_admin": {"type": "boolean"},
            "created_at": _TIME,
        },
    },
    "ApiToken": {"type": "object", "properties": _API_TOKEN},
    "IssuedApiToken": {
        "type": "object",
        "properties": {**_API_TOKEN, "token": {"type": "string", "pattern": "^vch_"}},
    },
    "ApiTokenList": {
        "type": "object",
        "properties": {
            "tokens": {"type": "array", "items": {"$ref": "#/components/schemas/ApiToken"}}
        },
    },
    "AuditEvent": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "at": _TIME,
            "actor_user_id": {"type": ["integer", "null"]},
            "action": {"type": "string"},
            "room_id": {"type": ["integer", "null"]},
            "address": {"type": ["string", "null"]},
            "details": {"type": "object"},
        },
    },
    "AuditPage": {
        "type": "object",
        "properties": {
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
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
        **_ACCOUNT_PATHS,
    },
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "an access token from /api/v1/auth/login, or an API token (vch_…)",
            }
        },
        "schemas": {
            **_ACCOUNT_SCHEMAS,
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
        },
    },
}


async def openapi(request: Request) -> Response:
    return JSONResponse(SPEC)
