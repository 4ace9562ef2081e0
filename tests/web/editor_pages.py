"""Helpers of the editor's browser tests: a room with a proposal, the editor's text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.web import Api, WebApp, unique

OPEN_CLIENTS: list[Api] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    """Closes the API clients the scenes opened (use as an autouse fixture)."""
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()


@dataclass
class Scene:
    """A room owned by `owner` with one proposal in discussion."""

    owner: str
    owner_api: Api
    slug: str
    proposal: dict[str, Any]

    @property
    def path(self) -> str:
        return f"/rooms/{self.slug}/proposals/{self.proposal['id']}"


def scene(web_app: WebApp, title: str = "Правилник") -> Scene:
    owner = web_app.create_user(unique("ana"), display_name="Ана Петрова")
    api = web_app.api(owner)
    OPEN_CLIENTS.append(api)
    slug = unique("room")
    api.ok("POST", "/rooms", {"slug": slug, "title": f"Стая {slug}"})
    proposal = api.ok("POST", f"/rooms/{slug}/proposals", {"title": title})
    api.ok("POST", f"/rooms/{slug}/proposals/{proposal['id']}/state", {"state": "discussion"})
    return Scene(owner, api, slug, proposal)


def open_editor(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")


def editor_text(page: Page) -> Locator:
    return page.get_by_test_id("editor").locator(".cm-content")


# the text of the editor's lines without the remote carets' name labels
_LINES = """(host) => [...host.querySelector('.editor-host').shadowRoot
  .querySelectorAll('.cm-line')]
  .map((line) => { const copy = line.cloneNode(true);
    copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer').forEach((e) => e.remove());
    return copy.textContent; }).join('\\n')"""


def text_of(page: Page) -> str:
    return str(page.get_by_test_id("editor").evaluate(_LINES))


def wait_text(page: Page, expected: str, timeout: float = 10_000) -> None:
    """Waits until the editor shows exactly `expected` (lines joined by newlines)."""
    page.wait_for_function(
        f"([expected]) => ({_LINES})(document.querySelector('[data-testid=editor]')) === expected",
        arg=[expected],
        timeout=timeout,
    )


def type_at_end(page: Page, text: str) -> None:
    content = editor_text(page)
    content.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def two_editors(
    web_app: WebApp, open_page: Any, s: Scene, display_name: str = "Борис"
) -> tuple[Page, Page, str]:
    """The owner's page and a new participant's page, both with the scene's proposal open, and
    the participant's name."""
    boris = web_app.create_user(unique("boris"), display_name=display_name)
    s.owner_api.member(s.slug, boris, "participant")
    owner_page, other_page = open_page(s.owner), open_page(boris)
    open_editor(owner_page, s.path)
    open_editor(other_page, s.path)
    return owner_page, other_page, boris


def assert_cannot_type(page: Page, expected: str) -> None:
    """Clicks into a read-only editor, types, and checks that the text stayed `expected`."""
    content = editor_text(page)
    expect(content).to_have_attribute("contenteditable", "false")
    content.click()
    page.keyboard.type("опит")
    page.wait_for_timeout(300)
    assert text_of(page) == expected
