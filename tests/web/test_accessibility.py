"""axe-core finds no serious or critical WCAG 2.1 AA violation on the app's screens, in both
languages and at phone width; the screens are usable by keyboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.web import WebApp, axe_problems, unique
from tests.web.conftest import OpenPage
from tests.web.consultation_pages import opened, organisation


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


@pytest.mark.parametrize(("locale", "width"), [("bg", 1280), ("en", 375)])
def test_notices_screen(web_app: WebApp, open_page: OpenPage, locale: str, width: int) -> None:
    name = web_app.create_user(unique("axenotices"))
    web_app.api(name).ok("POST", "/me/subscriptions", {"kind": "sector", "target": "youth"})
    page = open_page(name, locale=locale, width=width)
    page.goto("/notices")
    expect(page.get_by_test_id("subscription")).to_have_count(1)
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


@pytest.mark.parametrize(("locale", "width"), [("bg", 1280), ("en", 375)])
def test_consultation_and_directory_screens(
    web_app: WebApp, open_page: OpenPage, locale: str, width: int
) -> None:
    """The consultations list, a consultation (read, commented on, answered), its report, the
    directory with its forms, a profile and the import report."""
    closes = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    c = opened(web_app, closes_at=closes, reason="Спешно.", oblast="SML", sectors=["governance"])
    member = web_app.create_user(unique("axerep"), display_name="Борис Иванов")
    org = organisation(web_app, member, {"name": f"Сдружение {unique('')}", "kind": "ngo"})
    comments = [
        c.comment(member, "Таксата е 5 лева", "Много е.", org["slug"]),
        c.comment(c.owner, "битови отпадъци", "Кой ги извозва?"),
    ]

    page = open_page(locale=locale, width=width)
    for path, ready in [
        ("/consultations", "consultation-item"),
        (c.path, "consultation-comment"),
        ("/directory", "organisation-item"),
        (f"/directory/{org['slug']}", "representative"),
    ]:
        page.goto(path)
        expect(page.get_by_test_id(ready).first).to_be_visible()
        assert axe_problems(page) == [], path

    owner = open_page(c.owner, locale=locale, width=width)
    owner.goto(c.path)
    owner.get_by_test_id("comment-selection").click()
    expect(owner.get_by_test_id("comment-form")).to_be_visible()
    assert axe_problems(owner) == []
    c.close()
    owner.reload()
    expect(owner.get_by_test_id("response-form")).to_have_count(2)
    assert axe_problems(owner) == []
    for comment in comments:
        response = {"response": "partly_accepted", "reason": "Отчасти."}
        c.api().ok("PUT", f"{c.path}/comments/{comment['id']}/response", response)
    c.api().ok("POST", f"{c.path}/report")
    owner.goto(f"{c.path}/report")
    expect(owner.get_by_test_id("report-passage")).to_have_count(2)
    assert axe_problems(owner) == []

    admin = open_page(
        web_app.create_user(unique("axeadmin"), admin=True), locale=locale, width=width
    )
    admin.goto("/directory")
    admin.get_by_test_id("add-organisation").click()
    importer = admin.get_by_test_id("import")
    importer.locator("textarea[name=csv]").fill("name,kind\nБез вид,magic\n")
    importer.get_by_test_id("import-check").click()
    expect(importer.get_by_test_id("import-report")).to_have_attribute("data-valid", "false")
    assert axe_problems(admin) == []
