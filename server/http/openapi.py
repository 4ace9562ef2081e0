"""The OpenAPI document of the REST API (`/api/v1/openapi.json`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.http.openapi_decisions import DECISION_PATHS, DECISION_SCHEMAS
from server.http.openapi_parts import BEARER, PROBLEM, body, errors, json_response

_PROBLEM = PROBLEM
_BEARER = BEARER
_errors = errors
_json = json_response
_body = body


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

_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_ROLE = {"enum": ["owner", "moderator", "participant", "observer"]}
_ROOM_PATHS: dict[str, Any] = {
    "/api/v1/rooms": {
        "get": {
            "summary": "The rooms the caller may read (public ones and their own), by slug",
            "security": [{}, *_BEARER],
            "responses": {"200": _json("RoomList", "Rooms"), **_errors(401)},
        },
        "post": {
            "summary": "Create a room; the caller becomes its owner",
            "security": _BEARER,
            "requestBody": _body(
                {
                    **_STRINGS,
                    "properties": {
                        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "visibility": {"enum": ["public", "private"], "default": "private"},
                    },
                    "required": ["slug"],
                }
            ),
            "responses": {"201": _json("Room", "The new room"), **_errors(400, 401, 409, 422)},
        },
    },
    "/api/v1/rooms/{slug}": {
        "get": {
            "summary": "A room with its documents (404 for a private room of others)",
            "security": [{}, *_BEARER],
            "parameters": [_SLUG],
            "responses": {"200": _json("Room", "The room"), **_errors(401, 404)},
        },
        "patch": {
            "summary": "Change title, description or visibility (owners)",
            "security": _BEARER,
            "parameters": [_SLUG],
            "requestBody": _body(
                {
                    **_STRINGS,
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "visibility": {"enum": ["public", "private"]},
                    },
                }
            ),
            "responses": {"200": _json("Room", "The room"), **_errors(400, 401, 403, 404, 422)},
        },
    },
    "/api/v1/rooms/{slug}/archive": {
        "post": {
            "summary": "Archive a room: read-only for everyone from now on (owners)",
            "security": _BEARER,
            "parameters": [_SLUG],
            "responses": {"204": {"description": "Archived"}, **_errors(401, 403, 404)},
        }
    },
    "/api/v1/rooms/{slug}/members": {
        "get": {
            "summary": "The members of a room with their roles",
            "security": [{}, *_BEARER],
            "parameters": [_SLUG],
            "responses": {"200": _json("MemberList", "Members"), **_errors(401, 404)},
        }
    },
    "/api/v1/rooms/{slug}/members/{user}": {
        "parameters": [
            _SLUG,
            {"name": "user", "in": "path", "required": True, "schema": {"type": "string"}},
        ],
        "put": {
            "summary": "Add a member or change their role (owners, moderators; owners for owners)",
            "security": _BEARER,
            "requestBody": _body({**_STRINGS, "properties": {"role": _ROLE}, "required": ["role"]}),
            "responses": {
                "200": _json("Member", "The role changed"),
                "201": _json("Member", "The member added"),
                **_errors(400, 401, 403, 404, 409, 422),
            },
        },
        "delete": {
            "summary": "Remove a member (owners, moderators; owners for owners)",
            "security": _BEARER,
            "responses": {"204": {"description": "Removed"}, **_errors(401, 403, 404, 409)},
        },
    },
    "/api/v1/rooms/{slug}/invitations": {
        "get": {
            "summary": "The room's invitations, newest first, without tokens (owners, "
            "moderators; in an archived room too)",
            "security": _BEARER,
            "parameters": [_SLUG],
            "responses": {
                "200": _json("InvitationList", "Invitations"),
                **_errors(401, 403, 404),
            },
        },
        "post": {
            "summary": "An invite link token with a role and an expiry, shown once",
            "security": _BEARER,
            "parameters": [_SLUG],
            "requestBody": _body(
                {
                    **_STRINGS,
                    "properties": {
                        "role": {**_ROLE, "default": "participant"},
                        "expires_in": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 2592000,
                            "default": 604800,
                        },
                    },
                }
            ),
            "responses": {
                "201": _json("Invitation", "The invitation and its token"),
                **_errors(400, 401, 403, 404, 422),
            },
        },
    },
    "/api/v1/rooms/{slug}/invitations/{invitation_id}": {
        "delete": {
            "summary": "Revoke an invitation (owners, moderators; owners for owner invitations); "
            "again is a no-op",
            "security": _BEARER,
            "parameters": [
                _SLUG,
                {
                    "name": "invitation_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                },
            ],
            "responses": {"204": {"description": "Revoked"}, **_errors(401, 403, 404, 409)},
        }
    },
    "/api/v1/invitations/{token}/accept": {
        "post": {
            "summary": "Join a room with an invitation (once, before it expires)",
            "security": _BEARER,
            "parameters": [
                {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": _json("Room", "The room joined"),
                **_errors(401, 403, 404, 409, 410),
            },
        }
    },
    "/api/v1/rooms/{slug}/documents": {
        "post": {
            "summary": "Create a document that belongs to the room (members who write)",
            "security": _BEARER,
            "parameters": [_SLUG],
            "requestBody": _body(
                {**_STRINGS, "properties": {"name": {"type": "string"}}, "required": ["name"]}
            ),
            "responses": {
                "201": {"description": "Created"},
                **_errors(400, 401, 403, 404, 409, 422),
            },
        }
    },
    "/api/v1/rooms/{slug}/audit": {
        "get": {
            "summary": "The room's audit events, newest first (owners)",
            "security": _BEARER,
            "parameters": [
                _SLUG,
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
            ],
            "responses": {"200": _json("AuditPage", "Events"), **_errors(401, 403, 404, 422)},
        }
    },
}
_PAGE_PARAMETERS = [
    {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
]
_MESSAGE_PATHS: dict[str, Any] = {
    "/api/v1/rooms/{slug}/messages": {
        "get": {
            "summary": "The room's messages, newest first (whoever may read the room)",
            "security": [{}, *_BEARER],
            "parameters": [_SLUG, *_PAGE_PARAMETERS],
            "responses": {"200": _json("MessagePage", "A page"), **_errors(401, 404, 422)},
        }
    },
    "/api/v1/rooms/{slug}/messages/search": {
        "get": {
            "summary": "Messages with every word of q as a word prefix (docs/search.md)",
            "security": [{}, *_BEARER],
            "parameters": [
                _SLUG,
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                *_PAGE_PARAMETERS,
            ],
            "responses": {"200": _json("MessagePage", "Matches"), **_errors(401, 404, 422)},
        }
    },
    "/api/v1/rooms/{slug}/messages/{message_id}/revisions": {
        "get": {
            "summary": "A message's earlier texts, oldest first",
            "security": [{}, *_BEARER],
            "parameters": [
                _SLUG,
                {
                    "name": "message_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                },
            ],
            "responses": {
                "200": _json("MessageRevisions", "Earlier texts"),
                **_errors(401, 404),
            },
        }
    },
}
_PERSON = {
    "type": ["object", "null"],
    "properties": {"name": {"type": "string"}, "display_name": {"type": "string"}},
}
_MESSAGE_SCHEMAS: dict[str, Any] = {
    "Message": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "parent_id": {"type": ["integer", "null"]},
            "author": _PERSON,
            "body": {
                "type": ["string", "null"],
                "description": "Markdown; null when deleted or, for non-moderators, hidden",
            },
            "created_at": _TIME,
            "edited_at": _OPTIONAL_TIME,
            "deleted": {"type": "boolean"},
            "hidden": {"type": ["object", "null"], "properties": {"reason": {"type": "string"}}},
            "reactions": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
    "MessagePage": {
        "type": "object",
        "properties": {
            "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
            "next_before": {"type": ["integer", "null"]},
        },
    },
    "MessageRevisions": {
        "type": "object",
        "properties": {
            "message_id": {"type": "integer"},
            "revisions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"body": {"type": "string"}, "replaced_at": _TIME},
                },
            },
        },
    },
}
_ROOM_SCHEMAS: dict[str, Any] = {
    "Room": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "visibility": {"enum": ["public", "private"]},
            "archived_at": _OPTIONAL_TIME,
            "created_at": _TIME,
            "role": {"anyOf": [_ROLE, {"type": "null"}], "description": "the caller's role"},
            "documents": {"type": "array", "items": {"type": "string"}},
        },
    },
    "RoomList": {
        "type": "object",
        "properties": {"rooms": {"type": "array", "items": {"$ref": "#/components/schemas/Room"}}},
    },
    "Member": {
        "type": "object",
        "properties": {
            "user_id": {"type": "integer"},
            "name": {"type": "string"},
            "display_name": {"type": "string"},
            "role": _ROLE,
        },
    },
    "MemberList": {
        "type": "object",
        "properties": {
            "members": {"type": "array", "items": {"$ref": "#/components/schemas/Member"}}
        },
    },
    "Invitation": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "role": _ROLE,
            "expires_at": _TIME,
            "created_at": _TIME,
            "token": {"type": "string", "pattern": "^vci_"},
        },
    },
    "ListedInvitation": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "role": _ROLE,
            "created_by": {"type": ["string", "null"], "description": "a user name"},
            "created_at": _TIME,
            "expires_at": _TIME,
            "used_by": {"type": ["string", "null"], "description": "a user name"},
            "used_at": _OPTIONAL_TIME,
            "revoked_at": _OPTIONAL_TIME,
            "state": {"enum": ["pending", "used", "expired", "revoked"]},
        },
    },
    "InvitationList": {
        "type": "object",
        "properties": {
            "invitations": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ListedInvitation"},
            }
        },
    },
}

_DOCUMENT = {"name": "document", "in": "path", "required": True, "schema": {"type": "string"}}
_AMENDMENT_PATHS: dict[str, Any] = {
    "/api/v1/documents/{document}/forks": {
        "parameters": [_DOCUMENT],
        "get": {
            "summary": "The amendments forked from this document, oldest first",
            "description": "Needs read_document (docs/amendments.md)",
            "security": [{}, *_BEARER],
            "responses": {"200": _json("ForkList", "Forks"), **_errors(401, 403, 404)},
        },
        "post": {
            "summary": "Fork the document into a new one of its room, seeded with its state now",
            "description": "Needs write_document and create_document on the base",
            "security": _BEARER,
            "requestBody": _body(
                {**_STRINGS, "properties": {"name": {"type": "string"}}, "required": ["name"]}
            ),
            "responses": {
                "201": _json("Fork", "The new document, forked"),
                **_errors(400, 401, 403, 404, 409, 422),
            },
        },
    },
    "/api/v1/documents/{document}/diff": {
        "get": {
            "summary": "Line diff of a fork's Y.Text roots against its base",
            "description": "Needs read_document on the fork (and on the base for against=base)",
            "security": [{}, *_BEARER],
            "parameters": [
                _DOCUMENT,
                {
                    "name": "against",
                    "in": "query",
                    "description": "fork: the base as it was forked; base: the base now",
                    "schema": {"enum": ["fork", "base"], "default": "fork"},
                },
            ],
            "responses": {"200": _json("ForkDiff", "The diff"), **_errors(401, 403, 404, 409, 422)},
        }
    },
    "/api/v1/documents/{document}/merge": {
        "post": {
            "summary": "Merge a fork into its base: its changes since the fork, as a CRDT update",
            "description": "Needs write_document on the base. Again changes nothing (applied "
            "false) until the fork changes again",
            "security": _BEARER,
            "parameters": [_DOCUMENT],
            "responses": {"200": _json("Merge", "The merge"), **_errors(401, 403, 404, 409)},
        }
    },
    "/api/v1/documents/{document}/comments": {
        "parameters": [_DOCUMENT],
        "get": {
            "summary": "Comments with their anchors resolved against the document now",
            "description": "Needs read_document",
            "security": [{}, *_BEARER],
            "responses": {"200": _json("CommentList", "Oldest first"), **_errors(401, 403, 404)},
        },
        "post": {
            "summary": "Comment on a range of a root Y.Text (code point offsets)",
            "description": "Needs comment: observers and up (docs/amendments.md)",
            "security": _BEARER,
            "requestBody": _body(
                {
                    **_STRINGS,
                    "properties": {
                        "start": {"type": "integer", "minimum": 0},
                        "end": {"type": "integer", "minimum": 1},
                        "body": {"type": "string", "minLength": 1, "maxLength": 10000},
                        "root": {"type": "string", "default": "content"},
                    },
                    "required": ["start", "end", "body"],
                }
            ),
            "responses": {
                "201": _json("Comment", "The comment"),
                **_errors(400, 401, 403, 404, 422),
            },
        },
    },
}
_LINES = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
_AMENDMENT_SCHEMAS: dict[str, Any] = {
    "Fork": {
        "type": "object",
        "properties": {
            "document": {"type": "string"},
            "base": {"type": "string"},
            "base_seq": {"type": "integer", "description": "the base's seq when forked"},
            "base_state_vector": {"type": "string", "contentEncoding": "base64"},
            "created_by": {"type": ["string", "null"]},
            "created_at": _TIME,
            "merged": {
                "type": ["object", "null"],
                "description": "the latest merge that changed the base",
                "properties": {
                    "at": _TIME,
                    "by": {"type": ["string", "null"]},
                    "seq": {"type": "integer", "description": "the merge's seq in the base"},
                },
            },
        },
    },
    "ForkList": {
        "type": "object",
        "properties": {
            "document": {"type": "string"},
            "forks": {"type": "array", "items": {"$ref": "#/components/schemas/Fork"}},
        },
    },
    "Merge": {
        "type": "object",
        "properties": {
            "document": {"type": "string"},
            "base": {"type": "string"},
            "applied": {"type": "boolean", "description": "false: the base had it all"},
            "seq": {"type": ["integer", "null"], "description": "the merge's seq in the base"},
            "fork": {"$ref": "#/components/schemas/Fork"},
        },
    },
    "TextDiff": {
        "type": "object",
        "properties": {
            "base": {"type": "string"},
            "amendment": {"type": "string"},
            "changed": {"type": "boolean"},
            "unified": {"type": "string", "description": "a unified diff (diff -u)"},
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "op": {"enum": ["insert", "delete", "replace"]},
                        "base_lines": {**_LINES, "description": "0-based, half-open"},
                        "amendment_lines": {**_LINES, "description": "0-based, half-open"},
                        "removed": {"type": "string"},
                        "added": {"type": "string"},
                    },
                },
            },
        },
    },
    "ForkDiff": {
        "type": "object",
        "properties": {
            "document": {"type": "string"},
            "base": {"type": "string"},
            "against": {"enum": ["fork", "base"]},
            "base_seq": {"type": "integer"},
            "seq": {"type": "integer"},
            "roots": {
                "type": "object",
                "additionalProperties": {"$ref": "#/components/schemas/TextDiff"},
            },
        },
    },
    "Comment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "root": {"type": "string"},
            "author": _PERSON,
            "body": {"type": "string"},
            "created_at": _TIME,
            "start": {"type": ["integer", "null"], "description": "code point offset now"},
            "end": {"type": ["integer", "null"], "description": "code point offset now"},
            "text": {"type": "string", "description": "the anchored text now"},
            "deleted": {"type": "boolean", "description": "all of the anchored text is gone"},
            "quote": {"type": "string", "description": "the anchored text when commented"},
        },
    },
    "CommentList": {
        "type": "object",
        "properties": {
            "document": {"type": "string"},
            "comments": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
        },
    },
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Veche API", "version": "1"},
    "paths": {
        "/api/v1/documents/{document}": {
            "get": {
                "summary": "Content of a document, now or at a version",
                "description": "Needs read_document (docs/access.md); a private room's "
                "document is 404 to callers outside it",
                "security": [{}, *_BEARER],
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
                    **_errors(401, 403, 404, 422),
                },
            }
        },
        "/api/v1/documents/{document}/history": {
            "get": {
                "summary": "Versions: updates grouped by author and pauses",
                "description": "Needs read_document, as the content does",
                "security": [{}, *_BEARER],
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
                    **_errors(401, 403, 404, 422),
                },
            }
        },
        **_ACCOUNT_PATHS,
        **_ROOM_PATHS,
        **_MESSAGE_PATHS,
        **DECISION_PATHS,
        **_AMENDMENT_PATHS,
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
            **_ROOM_SCHEMAS,
            **_MESSAGE_SCHEMAS,
            **DECISION_SCHEMAS,
            **_AMENDMENT_SCHEMAS,
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


def _declare_body_refusals(spec: dict[str, Any]) -> None:
    """Every operation that takes a body may answer 400 (malformed JSON) and 413 (over the
    body limit): both come from one place (docs/http-limits.md), so they are declared here."""
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                responses = operation.setdefault("responses", {})
                for code, answer in errors(400, 413).items():
                    responses.setdefault(code, answer)


_declare_body_refusals(SPEC)


async def openapi(request: Request) -> Response:
    return JSONResponse(SPEC)
