"""The live-room protocol without a network: parsing, schemas, and their documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

import server.live.service  # noqa: F401  (registers every command)
from server.live.commands import REGISTRY, schemas_markdown
from server.live.protocol import ErrorCode, LiveError, parse

ROOT = Path(__file__).resolve().parents[2]
VALIDATORS = {name: spec.validator for name, spec in REGISTRY.items()}


def test_docs_print_the_schema_of_every_client_message() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text()
    block = text.split("<!-- live-schemas:start -->\n", 1)[1].split("<!-- live-schemas:end -->")[0]
    assert block == schemas_markdown(), "run scripts/protocol-doc"
    for name in REGISTRY:
        assert f"#### `{name}`" in block


def test_a_valid_command_parses_with_its_ref() -> None:
    command = parse('{"type": "post", "body": "Здравейте", "ref": "a1"}', 1024, VALIDATORS)
    assert (command.type, command.ref, command.fields) == ("post", "a1", {"body": "Здравейте"})


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("", ErrorCode.INVALID_JSON),
        ("{", ErrorCode.INVALID_JSON),
        ("[" * 100_000, ErrorCode.TOO_LARGE),
        ('"post"', ErrorCode.INVALID_MESSAGE),
        ("null", ErrorCode.INVALID_MESSAGE),
        ('{"body": "x"}', ErrorCode.INVALID_MESSAGE),
        ('{"type": null}', ErrorCode.INVALID_MESSAGE),
        ('{"type": "POST", "body": "x"}', ErrorCode.UNKNOWN_TYPE),
        ('{"type": "post"}', ErrorCode.INVALID_MESSAGE),
        ('{"type": "post", "body": ["x"]}', ErrorCode.INVALID_MESSAGE),
        ('{"type": "post", "body": "x", "parent_id": 0}', ErrorCode.INVALID_MESSAGE),
        ('{"type": "post", "body": "x", "parent_id": true}', ErrorCode.INVALID_MESSAGE),
        ('{"type": "post", "body": "x", "ref": 5}', ErrorCode.INVALID_MESSAGE),
        ('{"type": "react", "message_id": 1, "emoji": "", "on": true}', ErrorCode.INVALID_MESSAGE),
        ('{"type": "typing"}', ErrorCode.INVALID_MESSAGE),
    ],
)
def test_bad_frames_are_refused_with_a_code(frame: str, code: ErrorCode) -> None:
    with pytest.raises(LiveError) as refused:
        parse(frame, 64 * 1024, VALIDATORS)
    assert refused.value.code is code


def test_an_unknown_type_keeps_the_ref_for_the_error() -> None:
    with pytest.raises(LiveError) as refused:
        parse('{"type": "vote", "ref": "r9"}', 1024, VALIDATORS)
    assert refused.value.extra == {"ref": "r9"}
