"""axe-core finds no serious or critical WCAG 2.1 AA violation on the app's screens, in both
languages and at phone width; the screens are usable by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.web import WebApp, axe_problems, unique
from tests.web.conftest import OpenPage


@pytest.mark.parametrize(("locale", "width"), [("bg", 1280), ("en", 375)])
def test_sign_in_and_rooms_screens(
    web_app: WebApp, open_page: OpenPage, locale: str, width: int
) -> None:
    page = open_page(locale=locale, width=width)
    page.goto("/login")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    assert axe_problems(page) == []
    name = web_app.create_user(unique("axe"))
    web_app.api(name).room("Достъпност")
    signed_in = open_page(name, locale=locale, width=width)
    expect(signed_in.get_by_test_id("room-link")).to_have_count(1)
    assert axe_problems(signed_in) == []


def test_room_and_members_screens(web_app: WebApp, open_page: OpenPage) -> None:
    owner = web_app.create_user(unique("axeowner"), display_name="Собственик")
    slug = web_app.api(owner).room("Стая за проверка")["slug"]
    page = open_page(owner)
    page.goto(f"/rooms/{slug}")
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "class", "connection connection-open"
    )
    assert axe_problems(page) == []
    page.goto(f"/rooms/{slug}/members")
    expect(page.get_by_test_id("member")).to_have_count(1)
    assert axe_problems(page) == []


def test_sign_in_by_keyboard_only(web_app: WebApp, open_page: OpenPage) -> None:
    name = web_app.create_user(unique("keys"))
    page = open_page()
    page.goto("/login")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.locator("body").focus()
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Към съдържанието")).to_be_focused()
    page.get_by_label("Потребителско име").focus()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("who")).to_have_text(name)
