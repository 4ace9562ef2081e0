"""Helpers of the live panels' browser tests: a room with people, and its page opened live."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

from tests.support.web import Api, WebApp, unique

CROSS_CLIENT = 15_000  # ms: what one page waits for another's action to arrive (CPU under load)


@dataclass
class LiveScene:
    """A room owned by `owner`, with the members named in `people` by role."""

    web_app: WebApp
    owner: str
    slug: str
    people: dict[str, str]

    def api(self, name: str | None = None) -> Api:
        return self.web_app.api(name or self.owner)

    @property
    def path(self) -> str:
        return f"/rooms/{self.slug}"


def live_scene(
    web_app: WebApp, title: str = "Общински съвет", **members: tuple[str, str]
) -> LiveScene:
    """`members`: key → (display name, role); the scene's `people` maps each key to a name."""
    owner = web_app.create_user(unique("owner"), display_name="Ана Петрова")
    slug = web_app.api(owner).room(title)["slug"]
    people: dict[str, str] = {}
    for key, (display_name, role) in members.items():
        name = web_app.create_user(unique(key), display_name=display_name)
        web_app.api(owner).member(slug, name, role)
        people[key] = name
    return LiveScene(web_app, owner, slug, people)


def open_live(page: Page, path: str, tab: str | None = None) -> None:
    page.goto(path)
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "class", "connection connection-open", timeout=CROSS_CLIENT
    )
    if tab:
        page.get_by_role("tab", name=tab).click()


def post(page: Page, text: str) -> None:
    composer = page.get_by_test_id("composer").locator("textarea")
    composer.fill(text)
    composer.press("Enter")
    expect(composer).to_have_value("", timeout=CROSS_CLIENT)


def messages(page: Page) -> Locator:
    return page.get_by_test_id("message")
