"""Pieces the OpenAPI modules share (server/http/openapi.py assembles the document)."""

from __future__ import annotations

from typing import Any

PROBLEM = {"$ref": "#/components/schemas/Problem"}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
OPTIONAL_BEARER: list[dict[str, list[str]]] = [{}, *BEARER]
TIME = {"type": "string", "format": "date-time"}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


def errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "Problem details (RFC 9457)",
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
        for code in codes
    }


def json_response(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
