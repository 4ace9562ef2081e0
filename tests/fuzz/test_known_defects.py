"""Reproducers of the open defects the fuzz targets found (tests/fuzz/known.py).

Each is expected to fail, strictly: the day its defect is fixed the test passes, pytest reports
the XPASS as an error, and the mark goes (with the entry in known.py).
"""

from __future__ import annotations

import pytest

from tests.fuzz import targets
from tests.fuzz.rest import RestHarness

DEEP = b"[" * 200_000 + b"]" * 200_000
HUGE = b"9" * 5000


@pytest.mark.xfail(strict=True, raises=ValueError, reason="issue 10 #12: huge int escapes parse")
def test_live_frame_with_a_5000_digit_integer_is_an_error_event() -> None:
    targets.live_frame_storable('{"type":"post","body":"x","parent_id":' + "9" * 5000 + "}")


@pytest.mark.xfail(
    strict=True, raises=targets.FuzzFailure, reason="issue 10 #12: /live/ ids above 2**63-1"
)
def test_live_message_id_past_int64_is_refused() -> None:
    targets.live_frame_storable('{"type":"delete","message_id":' + str(10**30) + "}")


@pytest.mark.xfail(
    strict=True, raises=targets.FuzzFailure, reason="fuzzing: /live/ accepts lone surrogates"
)
def test_live_post_with_a_lone_surrogate_is_refused() -> None:
    targets.live_frame_storable('{"type":"post","body":"\\ud800"}')


@pytest.mark.xfail(strict=True, raises=RecursionError, reason="issue 10 #13: deep JSON → 500")
def test_rest_deeply_nested_body_is_a_400(harness: RestHarness) -> None:
    harness.post_body("room-create", DEEP)


@pytest.mark.xfail(strict=True, raises=ValueError, reason="issue 10 #13: huge integer → 500")
def test_rest_5000_digit_integer_is_a_400(harness: RestHarness) -> None:
    harness.post_body(
        "poll-create", b'{"title":"t","method":"approval","min_ballots":' + HUGE + b"}"
    )


@pytest.mark.xfail(
    strict=True, raises=UnicodeEncodeError, reason="fuzzing: lone surrogate stored → 500"
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


@pytest.mark.xfail(strict=True, raises=TypeError, reason="fuzzing: unhashable score_by → 500")
def test_rest_poll_with_a_list_as_score_by_is_a_422(harness: RestHarness) -> None:
    harness.post_body(
        "poll-create",
        b'{"title":"t","method":"score","options":["a","b"],"rules":{"score_by":["mean"]}}',
    )
