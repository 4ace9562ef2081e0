from __future__ import annotations

import os

import pytest

from crdt.document import Backend, available_backends, load_backend

ALL_BACKENDS = ["pycrdt", "y-py"]


def require_backend(name: str) -> Backend:
    """Load a backend; skip (or fail under CI=true) when it is not installed."""
    if name not in available_backends():
        reason = f"the {name} backend is not installed (y-py is optional, Python <= 3.12)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must test every backend")
        pytest.skip(reason)
    return load_backend(name)


@pytest.fixture(
    params=[
        pytest.param(name, marks=[pytest.mark.ypy] if name == "y-py" else [])
        for name in ALL_BACKENDS
    ]
)
def backend(request: pytest.FixtureRequest) -> Backend:
    name: str = request.param
    return require_backend(name)
