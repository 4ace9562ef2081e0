"""OpenAPI paths and schemas of proposals, polls and decision records (docs/decisions.md)."""

from __future__ import annotations

from typing import Any

from server.http.openapi_parts import (
    BEARER,
    OPTIONAL_BEARER,
    SLUG,
    TIME,
    body,
    errors,
    json_response,
    path_id,
)

_PROPOSAL = path_id("proposal_id")
_TITLED = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "document": {"type": "string"}},
}
_POLL = path_id("poll_id")
_OBJECT = {"type": "object"}
_VOTE_FIELDS: dict[str, Any] = {
    "rules": {
        "type": "object",
        "description": "majority (simple | absolute | {qualified, base}), quorum "
        "({share} | {count}), ranked (irv | schulze), seats (stv), score_by (mean | median)",
    },
    "secret": {"type": "boolean", "default": False},
    "visibility": {"enum": ["always", "after_vote", "after_close"], "default": "after_close"},
    "min_ballots": {"type": "integer", "minimum": 0, "default": 0},
    "allow_change": {"type": "boolean", "default": True},
    "closes_in": {"type": "number", "description": "seconds until it closes by itself"},
}
_VOTE_TERMS = {"type": "object", "properties": _VOTE_FIELDS}


def _get(summary: str, schema: str, *parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "security": OPTIONAL_BEARER,
            "parameters": [SLUG, *parameters],
            "responses": {"200": json_response(schema, summary), **errors(401, 404)},
        }
    }


def _post(
    summary: str,
    schema: str,
    request: dict[str, Any] | None,
    *parameters: dict[str, Any],
    status: str = "201",
    problems: tuple[int, ...] = (400, 401, 403, 404, 409, 422),
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": BEARER,
        "parameters": [SLUG, *parameters],
        "responses": {status: json_response(schema, summary), **errors(*problems)},
    }
    if request is not None:
        operation["requestBody"] = body(request)
    return {"post": operation}


DECISION_PATHS: dict[str, Any] = {
    "/api/v1/rooms/{slug}/proposals": {
        **_get("The room's proposals, newest first", "ProposalList"),
        **_post(
            "Create a proposal with its body document (participants and up)",
            "Proposal",
            {
                "type": "object",
                "properties": {"title": {"type": "string"}, "document": {"type": "string"}},
            },
        ),
    },
    "/api/v1/rooms/{slug}/proposals/{proposal_id}": _get("A proposal", "Proposal", _PROPOSAL),
    "/api/v1/rooms/{slug}/proposals/{proposal_id}/state": _post(
        "Move a proposal to discussion or withdraw it",
        "Proposal",
        {"type": "object", "properties": {"state": {"enum": ["discussion", "withdrawn"]}}},
        _PROPOSAL,
        status="200",
    ),
    "/api/v1/rooms/{slug}/proposals/{proposal_id}/amendments": _post(
        "Amend a proposal in draft or discussion: a proposal on a fork of its body, merged into "
        "it when adopted",
        "Proposal",
        {
            "type": "object",
            "properties": {"title": {"type": "string"}, "document": {"type": "string"}},
        },
        _PROPOSAL,
    ),
    "/api/v1/rooms/{slug}/proposals/{proposal_id}/vote": _post(
        "Open the proposal's vote (yes/no/abstain): freezes its body",
        "Poll",
        _VOTE_TERMS,
        _PROPOSAL,
    ),
    "/api/v1/rooms/{slug}/polls": {
        **_get("The room's polls", "PollList"),
        **_post(
            "Open a poll of its own",
            "Poll",
            {
                "type": "object",
                "properties": {
                    **_VOTE_FIELDS,
                    "title": {"type": "string"},
                    "method": {
                        "enum": [
                            "yes_no_abstain",
                            "single_choice",
                            "approval",
                            "ranked",
                            "score",
                            "stv",
                        ]
                    },
                    "options": {"type": "array", "items": {"type": "string"}},
                },
            },
        ),
    },
    "/api/v1/rooms/{slug}/polls/{poll_id}": _get(
        "A poll, with its tally when its visibility allows", "Poll", _POLL
    ),
    "/api/v1/rooms/{slug}/polls/{poll_id}/ballots": _post(
        "Cast (201) or change (200) one's ballot; a secret ballot's answer carries its receipt",
        "BallotAnswer",
        {"type": "object", "properties": {"choice": {}, "receipt": {"type": "string"}}},
        _POLL,
    ),
    "/api/v1/rooms/{slug}/polls/{poll_id}/close": _post(
        "Close the poll now and write its decision record", "Decision", None, _POLL, status="200"
    ),
    "/api/v1/rooms/{slug}/polls/{poll_id}/receipts/{receipt}": _get(
        "Check a secret ballot by its receipt",
        "Receipt",
        _POLL,
        {"name": "receipt", "in": "path", "required": True, "schema": {"type": "string"}},
    ),
    "/api/v1/rooms/{slug}/decisions": _get("The room's decision records in order", "DecisionList"),
    "/api/v1/rooms/{slug}/decisions/{position}": _get(
        "One decision record; `{position}.md` gives it as Markdown",
        "Decision",
        {"name": "position", "in": "path", "required": True, "schema": {"type": "string"}},
    ),
}

DECISION_SCHEMAS: dict[str, Any] = {
    "Proposal": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "state": {
                "enum": ["draft", "discussion", "voting", "adopted", "rejected", "withdrawn"]
            },
            "amends": {"type": ["integer", "null"], "description": "the proposal it amends"},
            "document": {"type": "string"},
            "created_at": TIME,
            "state_changed_at": TIME,
        },
    },
    "ProposalList": {
        "type": "object",
        "properties": {
            "proposals": {"type": "array", "items": {"$ref": "#/components/schemas/Proposal"}}
        },
    },
    "Poll": {
        "type": "object",
        "description": "with `tally` only as the visibility allows; `body` binds a proposal's "
        "vote to its frozen version",
        "properties": {
            "id": {"type": "integer"},
            "method": {"type": "string"},
            "state": {"enum": ["open", "closed"]},
            "ballots": {"type": "integer"},
            "tally": _OBJECT,
            "body": {"type": ["object", "null"]},
        },
    },
    "PollList": {
        "type": "object",
        "properties": {"polls": {"type": "array", "items": {"$ref": "#/components/schemas/Poll"}}},
    },
    "BallotAnswer": {
        "type": "object",
        "properties": {"outcome": {"enum": ["cast", "changed"]}, "receipt": {"type": "string"}},
    },
    "Receipt": {
        "type": "object",
        "properties": {
            "poll_id": {"type": "integer"},
            "counted": {"type": "boolean"},
            "choice": {},
        },
    },
    "Decision": {
        "type": "object",
        "description": "the canonical record (docs/decisions.md); `sha256` in listings",
    },
    "DecisionList": {
        "type": "object",
        "properties": {
            "decisions": {"type": "array", "items": {"$ref": "#/components/schemas/Decision"}}
        },
    },
}
