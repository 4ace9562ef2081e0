"""The app's frame in a real browser: sign-in, the rooms list, creating a room, languages."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import WebApp, unique
from tests.web.conftest import OpenPage, sign_in


def test_sign_in_create_a_room_and_enter_it(web_app: WebApp, open_page: OpenPage) -> None:
    name = web_app.create_user(unique("ana"), display_name="Ана Петрова")
    page = open_page(name)
    expect(page.get_by_test_id("who")).to_have_text("Ана Петрова")
    form = page.get_by_test_id("create-room")
    form.locator("input[name=title]").fill("Бюджет 2027")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("room")).to_be_visible()
    expect(page.locator(".room-title h1")).to_have_text("Бюджет 2027")
    expect(page.get_by_test_id("live-state")).to_have_text("На живо")
    page.goto("/")
    expect(page.get_by_test_id("room-link")).to_have_text(["Бюджет 2027"])


def test_a_wrong_password_is_refused_and_nothing_is_signed_in(
    web_app: WebApp, open_page: OpenPage
) -> None:
    name = web_app.create_user(unique("bob"))
    page = open_page(locale="en-GB")
    page.goto("/login")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill("not the password")
    page.locator("button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong name or password.")
    expect(page.get_by_test_id("who")).to_have_count(0)


def test_the_session_survives_a_reload_and_ends_with_sign_out(
    web_app: WebApp, open_page: OpenPage
) -> None:
    name = web_app.create_user(unique("eva"))
    page = open_page(name)
    # the refresh token is an HttpOnly cookie: the page's script cannot read it
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("JSON.stringify(localStorage)").find("token") == -1
    cookie = next(c for c in page.context.cookies() if c["name"] == "veche_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    page.reload()
    expect(page.get_by_test_id("who")).to_have_text(name)
    page.get_by_role("button", name="Изход").click()
    expect(page.get_by_test_id("who")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("navigation").get_by_role("link", name="Вход")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "veche_session"]


def test_language_follows_the_browser_and_can_be_switched(
    web_app: WebApp, open_page: OpenPage
) -> None:
    name = web_app.create_user(unique("ivo"))
    page = open_page(locale="en-US")
    expect(page.get_by_role("navigation").get_by_role("link", name="Sign in")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    sign_in(page, name)
    page.get_by_test_id("language").select_option("bg")
    expect(page.get_by_role("button", name="Изход")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Изход")).to_be_visible()


def test_tabs_of_one_browser_refreshing_at_once_keep_the_session(
    web_app: WebApp, open_page: OpenPage
) -> None:
    """A rotated refresh token presented again revokes the session; tabs share the cookie, so
    they must refresh one after another (a Web Lock), not race."""
    name = web_app.create_user(unique("tabs"))
    first = open_page(name)
    tabs = [first.context.new_page() for _ in range(3)]
    for tab in tabs:  # started together: each refreshes the session on load
        tab.goto("/", wait_until="commit")
    first.reload(wait_until="commit")
    for tab in [first, *tabs]:
        expect(tab.get_by_test_id("who")).to_have_text(name)
    later = first.context.new_page()
    later.goto("/")
    expect(later.get_by_test_id("who")).to_have_text(name)


def test_reloading_while_the_session_refreshes_keeps_it(
    web_app: WebApp, open_page: OpenPage
) -> None:
    """Each load refreshes the session; a reload that cuts the refresh short may lose its
    answer, so the browser presents the replaced refresh token again (accepted for a while)."""
    name = web_app.create_user(unique("reload"))
    page = open_page(name)
    for _ in range(3):
        with page.expect_request("**/api/v1/auth/refresh"):
            page.reload(wait_until="commit")
    expect(page.get_by_test_id("who")).to_have_text(name)
    page.reload()
    expect(page.get_by_test_id("who")).to_have_text(name)
