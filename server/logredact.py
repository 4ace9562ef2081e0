"""No secret in a log line: a `logging.Filter` that redacts request targets and token shapes.

uvicorn logs every request target (`GET /api/v1/rooms/r/polls/1/receipts/<receipt>`,
`WebSocket /live/r?token=<access token>`, `POST /api/v1/invitations/vci_…/accept`) and a
logged receipt lets its reader see and replace a secret ballot. `veche serve` puts
`RedactSecrets` on every log handler it configures (`log_config`), so uvicorn's access and
error logs and Veche's own loggers all pass through it (docs/http-limits.md):

- query parameters keep their value only if their name is in `PLAIN_PARAMETERS` (paging and
  ordering); every other value becomes `[redacted]` — `token`, and any parameter added later;
- path segments after `/receipts/` and `/invitations/` (except a numeric invitation id) are
  redacted, matched on the percent-decoded path as Starlette routes it;
- anything shaped like an API or invitation token (`vch_…`, `vci_…`) is redacted wherever it
  appears in a message.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import quote, unquote

REDACTED = "[redacted]"
# Query parameters whose values are not secret: paging, ordering, versions.
PLAIN_PARAMETERS = frozenset(
    {"limit", "before", "at", "cursor", "order", "pause", "against", "since"}
)
_TOKEN_SHAPE = re.compile(r"\b(vc[hi]_)[A-Za-z0-9_-]+")
_TARGET = re.compile(r"/[^\s\"'<>]*")  # a path with its query, as uvicorn logs it
_SECRET_SEGMENT = re.compile(r"(/receipts/)[^/]+|(/invitations/)(?!\d+(?:/|$))[^/]+")
_PATH_SAFE = "/!$&'()*+,;=:@-._~[]"  # what stays unquoted in a re-quoted path


def _redact_segments(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2)) + REDACTED


def _redact_query(query: str) -> str:
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        if equals and unquote(name.replace("+", " ")) in PLAIN_PARAMETERS:
            parts.append(part)
        elif part:
            parts.append(f"{name}={REDACTED}" if equals else REDACTED)
    return "&".join(parts)


def redact_target(target: str) -> str:
    """A request target (path, `?`, query) with its secrets replaced by `[redacted]`."""
    path, question, query = target.partition("?")
    decoded = unquote(path)
    redacted = _SECRET_SEGMENT.sub(_redact_segments, decoded)
    if redacted != decoded:  # shown decoded-and-requoted only when something was taken out
        path = quote(redacted, safe=_PATH_SAFE)
    return path + question + (_redact_query(query) if question else "")


def redact(text: str) -> str:
    """``text`` with every request target in it redacted, and every token shape."""
    return _TARGET.sub(lambda m: redact_target(m.group()), _TOKEN_SHAPE.sub(r"\1" + REDACTED, text))


ACCESS_LOGGER = "uvicorn.access"


class RedactSecrets(logging.Filter):
    """Redacts every record that passes: its message and arguments, its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple):
            # uvicorn's AccessFormatter takes the five arguments apart: keep their shape
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        else:
            # any argument's str() may hold a secret (an exception's message, a URL object)
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # arguments that do not fit the format
                message = f"{record.msg} {record.args}"
            record.msg, record.args = redact(message), ()
            record.__dict__.pop("color_message", None)  # uvicorn's coloured copy of the format
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def log_config(uvicorn_config: dict[str, Any], level: str) -> dict[str, Any]:
    """uvicorn's logging configuration with `RedactSecrets` on every handler, and the root
    logger (where Veche's own loggers propagate) writing at ``level`` through the same
    handler as uvicorn's error log."""
    config = copy.deepcopy(uvicorn_config)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    for handler in config.get("handlers", {}).values():
        handler["filters"] = [*handler.get("filters", []), "redact_secrets"]
    config["root"] = {"handlers": ["default"], "level": level.upper()}
    if level.upper() not in ("DEBUG", "TRACE"):
        # websockets says "connection open" and "connection closed" at INFO for every socket,
        # with neither path nor person: two lines per connection that tell an operator
        # nothing, and 4 % of the server's CPU in a storm of 5,000 (docs/benchmarks.md)
        config.setdefault("loggers", {})["websockets"] = {"level": "WARNING"}
    return config
