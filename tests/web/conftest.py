"""Fixtures of the browser tests: one `veche serve` for all of them (each test makes its own
people and rooms, named by `unique()`), one Chromium per run, and
pages signed in as a given person. Every test here needs the bundle and Debian's Chromium; on
CI (`CI=true`) a missing one fails the test instead of skipping it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    Playwright,
    sync_playwright,
)

from tests.support.web import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    WebApp,
    require_bundle,
    require_chromium,
)

pytestmark = pytest.mark.browser

OpenPage = Callable[..., Page]


@pytest.fixture(scope="session")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    require_bundle()
    folder: Path = tmp_path_factory.mktemp("web")
    app = WebApp(f"sqlite+aiosqlite:///{folder / 'veche.db'}")
    app.start()
    try:
        yield app
    finally:
        app.stop()


# Playwright's sync API keeps an event loop running in the test thread while it is started,
# which would stop pytest-asyncio from running the async tests of later modules: it is
# started and stopped per module.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


def sign_in(page: Page, name: str) -> None:
    """Signs in through the login page and waits for the rooms list."""
    page.goto("/login")
    page.get_by_test_id("login-form").locator("input[name=name]").fill(name)
    page.get_by_test_id("login-form").locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-form").locator("button[type=submit]").click()
    page.get_by_test_id("who").wait_for()


@pytest.fixture
def open_page(chromium: Browser, web_app: WebApp) -> Iterator[OpenPage]:
    """`open_page(name=None, locale="bg", width=1280, height=900)`: a page in a context of its
    own (cookies, storage), signed in as `name` when given, at the rooms list."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def open_one(
        name: str | None = None, *, locale: str = "bg", width: int = 1280, height: int = 900
    ) -> Page:
        context = chromium.new_context(
            base_url=web_app.url,
            locale=locale,
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"uncaught in the page: {error}"))

        def dialog(shown: Dialog) -> None:
            problems.append(f"a dialog opened: {shown.type} {shown.message!r}")
            shown.dismiss()

        page.on("dialog", dialog)
        if name is not None:
            sign_in(page, name)
        else:
            page.goto("/")
        return page

    yield open_one
    for context in contexts:
        context.close()
    # no page of the test may throw an uncaught error or open a dialog (alert, confirm…)
    assert not problems, "\n".join(problems)
