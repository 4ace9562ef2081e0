"""Reproducers of the defects the fuzz targets found, kept as regression tests once fixed.

An open defect is recorded here with ``xfail(strict=True)`` and matched in tests/fuzz/known.py
(so that the long run counts it and goes on); when it is fixed, both go and the test stays.
Fixed: JSON past the parser's limits (issue 10 #12, #13), /live/ ids past 64 bits (#12),
lone UTF-16 surrogates stored or relayed, and a poll's `rules.score_by` that is not a string.
"""

from __future__ import annotations

import pytest

from tests.fuzz import targets
from tests.fuzz.rest import RestHarness

DEEP = b"[" * 200_000 + b"]" * 200_000
HUGE = b"9" * 5000


def test_live_frame_with_a_5000_digit_integer_is_an_error_event() -> None:
    targets.live_frame_storable('{"type":"post","body":"x","parent_id":' + "9" * 5000 + "}")


def test_live_message_id_past_int64_is_refused() -> None:
    targets.live_frame_storable('{"type":"delete","message_id":' + str(10**30) + "}")


def test_live_post_with_a_lone_surrogate_is_refused() -> None:
    targets.live_frame_storable('{"type":"post","body":"\\ud800"}')


def test_rest_deeply_nested_body_is_a_400(harness: RestHarness) -> None:
    harness.post_body("room-create", DEEP)


def test_rest_5000_digit_integer_is_a_400(harness: RestHarness) -> None:
    harness.post_body(
        "poll-create", b'{"title":"t","method":"approval","min_ballots":' + HUGE + b"}"
    )


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("room-create", b'{"slug":"surrogate-title","title":"\\ud800"}'),
        ("comment-post", b'{"body":"\\udfff","start":0,"end":3}'),
        ("poll-create", b'{"title":"t","method":"approval","options":["\\ud800","b"]}'),
        ("login", b'{"name":"\\ud800","password":"x"}'),
    ],
    ids=["room-title", "comment-body", "poll-option", "login-name"],
)
def test_rest_lone_surrogate_is_a_4xx(harness: RestHarness, endpoint: str, body: bytes) -> None:
    harness.post_body(endpoint, body)


def test_rest_poll_with_a_list_as_score_by_is_a_422(harness: RestHarness) -> None:
    harness.post_body(
        "poll-create",
        b'{"title":"t","method":"score","options":["a","b"],"rules":{"score_by":["mean"]}}',
    )
