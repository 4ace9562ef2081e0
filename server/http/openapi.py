"""The OpenAPI 3.1 document, generated from the route table and the declared endpoints.

Every declared route (server/http/endpoint.py) becomes an operation: its path parameters,
its query struct's fields as query parameters, its body struct as the request body, its
answer type under its status codes, and a problem document (RFC 9457) under each error
status it declares. msgspec writes the JSON Schemas (2020-12, the dialect of OpenAPI 3.1).
Routes that are not declared (health, metrics, the sockets) are not part of the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from server.http.endpoint import Endpoint, NoBody, NoQuery, encode, endpoint_of
from server.http.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from server.http.types import Problem

REF = "#/components/schemas/{name}"
BEARER = "bearer"
# from one place for every body (server/http/limits.py, bodies.py): malformed, too large
BODY_REFUSALS = (400, 413)
# any operation, while the database cannot serve it (server/http/errors.py)
DATABASE_AWAY = 503


def declared(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Endpoint]]:
    """Every declared endpoint of a route table, with its full path."""
    for route in routes:
        if isinstance(route, Mount):
            yield from declared(route.routes, prefix + route.path)
            continue
        found = endpoint_of(route)
        if found is not None:
            yield prefix + found.path, found


def _types(endpoints: list[tuple[str, Endpoint]]) -> list[type[Any]]:
    seen: dict[str, type[Any]] = {"Problem": Problem}
    for _, endpoint in endpoints:
        for kind in (endpoint.body, endpoint.query, endpoint.answer):
            if kind is None or kind in (NoBody, NoQuery):
                continue
            other = seen.setdefault(kind.__name__, kind)
            if other != kind:
                raise TypeError(f"two API types are called {kind.__name__}")
    return list(seen.values())


def build(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    endpoints = list(declared(routes))
    types = _types(endpoints)
    refs, components = msgspec.json.schema_components(types, ref_template=REF)
    schema_of = dict(zip(types, refs, strict=True))
    queries = {e.query.__name__ for _, e in endpoints if e.query is not NoQuery}
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for path, endpoint in endpoints:
        operation = _operation(endpoint, schema_of, components)
        if operation["operationId"] in operation_ids:
            raise ValueError(f"two operations are called {operation['operationId']}")
        operation_ids.add(operation["operationId"])
        paths.setdefault(path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Veche API",
            "version": "1",
            "description": "Generated from the server's declarations (server/http/openapi.py).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an access token from /api/v1/auth/login, "
                    "or an API token (vch_…)",
                }
            },
            "schemas": {k: v for k, v in sorted(components.items()) if k not in queries},
        },
    }


def _operation(
    endpoint: Endpoint, schema_of: dict[type[Any], Any], components: dict[str, Any]
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{endpoint.tag}_{endpoint.handler.__name__}",
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    if endpoint.auth == "bearer":
        operation["security"] = [{BEARER: []}]
    elif endpoint.auth == "optional":
        operation["security"] = [{}, {BEARER: []}]
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer"} if name in endpoint.ids else {"type": "string"},
        }
        for name in endpoint.path_params
    ]
    if endpoint.query is not NoQuery:
        parameters.extend(_query_parameters(components[endpoint.query.__name__]))
    if parameters:
        operation["parameters"] = parameters
    errors = {*endpoint.errors, DATABASE_AWAY}
    if endpoint.body is not NoBody:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema_of[endpoint.body]}},
        }
        errors.update(BODY_REFUSALS)
    operation["responses"] = {
        **_answers(endpoint, schema_of),
        **{
            str(code): {
                "description": "Problem details (RFC 9457)",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": schema_of[Problem]}},
            }
            for code in sorted(errors)
        },
    }
    return operation


def _answers(endpoint: Endpoint, schema_of: dict[type[Any], Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for status in (endpoint.status, *endpoint.also):
        answer: dict[str, Any] = {"description": endpoint.summary or "OK"}
        content: dict[str, Any] = {}
        if endpoint.answer is not None:
            content["application/json"] = {"schema": schema_of[endpoint.answer]}
        for media in endpoint.media:
            content[media] = {"schema": {"type": "string"}}
        if content:
            answer["content"] = content
        answers[str(status)] = answer
    return answers


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": field}
        for name, field in schema.get("properties", {}).items()
    ]


async def openapi(request: Request) -> Response:
    """`/api/v1/openapi.json`: built once per application from its route table."""
    state = request.app.state
    document: bytes | None = getattr(state, "openapi_document", None)
    if document is None:
        document = encode(build(request.app.routes))
        state.openapi_document = document
    return Response(document, media_type="application/json")
