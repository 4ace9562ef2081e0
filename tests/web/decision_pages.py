"""Helpers of the decision screens' browser tests: a room with voters, a proposal's body written
through the SDK, votes opened, cast and closed through the REST API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import expect
from pycrdt import Text

from client import DocumentClient
from tests.support.web import Api, WebApp, run_async, unique


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    """Waits up to 15 s in every `expect` of these tests (use as an autouse fixture): the
    pages count, push and re-render while the CPU may be loaded."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@dataclass
class Room:
    """A room owned by `owner` (display name Ана) with `voters` as participants."""

    web_app: WebApp
    owner: str
    slug: str
    voters: list[str] = field(default_factory=list)

    def api(self, name: str | None = None) -> Api:
        return self.web_app.api(name or self.owner)

    @property
    def path(self) -> str:
        return f"/rooms/{self.slug}"

    def poll(self, title: str, method: str, options: list[str] | None = None, **terms: Any) -> Any:
        """Opens a vote of its own (visibility `always` unless told)."""
        body = {"title": title, "method": method, "visibility": "always", **terms}
        if options is not None:
            body["options"] = options
        return self.api().ok("POST", f"/rooms/{self.slug}/polls", body)

    def cast(self, name: str, poll_id: int, choice: Any) -> Any:
        return self.api(name).ok(
            "POST", f"/rooms/{self.slug}/polls/{poll_id}/ballots", {"choice": choice}
        )

    def close(self, poll_id: int) -> Any:
        return self.api().ok("POST", f"/rooms/{self.slug}/polls/{poll_id}/close")

    def proposal(self, title: str, body: str) -> Any:
        """A proposal whose body is `body`, in discussion."""
        proposal = self.api().ok("POST", f"/rooms/{self.slug}/proposals", {"title": title})
        write_body(self.web_app, self.api().token, proposal["document"], body)
        path = f"/rooms/{self.slug}/proposals/{proposal['id']}/state"
        self.api().ok("POST", path, {"state": "discussion"})
        return proposal

    def decided_proposal(self, title: str, body: str, choices: dict[str, str]) -> Any:
        """A proposal voted on (`choices`: voter → yes/no/abstain) and closed: its record."""
        proposal = self.proposal(title, body)
        poll = self.api().ok(
            "POST",
            f"/rooms/{self.slug}/proposals/{proposal['id']}/vote",
            {"visibility": "always"},
        )
        for name, choice in choices.items():
            self.cast(name, poll["id"], choice)
        return self.close(poll["id"])


def room(web_app: WebApp, voters: int = 2) -> Room:
    owner = web_app.create_user(unique("ana"), display_name="Ана Петрова")
    slug = web_app.api(owner).room(f"Съвет {unique('')}")["slug"]
    made = Room(web_app, owner, slug)
    for number in range(voters):
        name = web_app.create_user(
            unique(f"voter{number}"), display_name=f"Гласоподавател {number}"
        )
        web_app.api(owner).member(slug, name, "participant")
        made.voters.append(name)
    return made


def write_body(web_app: WebApp, token: str, document: str, body: str) -> None:
    """Writes `body` into a proposal's `content` text through the Python SDK."""

    async def work() -> None:
        async with DocumentClient(web_app.yjs, document, token=token) as client:
            client.doc.get("content", type=Text).insert(0, body)
            await client.wait_saved()

    run_async(work())
