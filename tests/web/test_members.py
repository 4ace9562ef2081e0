"""Members and invitations in the page: an owner manages roles and issues an invitation link;
another person opens it, signs in, accepts and enters the room."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import PASSWORD, WebApp, unique
from tests.web.conftest import OpenPage


def test_an_owner_manages_members_and_an_invitation_is_accepted(
    web_app: WebApp, open_page: OpenPage
) -> None:
    owner = web_app.create_user(unique("owner"), display_name="Мария")
    colleague = web_app.create_user(unique("colleague"), display_name="Георги")
    guest = web_app.create_user(unique("guest"), display_name="Петър")
    slug = web_app.api(owner).room("Общински съвет")["slug"]

    page = open_page(owner)
    page.goto(f"/rooms/{slug}/members")
    members = page.get_by_test_id("members")
    expect(members.get_by_test_id("member")).to_have_count(1)
    add = page.get_by_test_id("add-member")
    add.locator("input[name=name]").fill(colleague)
    add.get_by_role("button").click()
    row = members.get_by_test_id("member").filter(has_text="Георги")
    expect(row).to_have_count(1)
    row.get_by_role("combobox").select_option("moderator")
    expect(page.get_by_role("status").filter(has_text="Георги")).to_be_visible()
    roles = {
        m["name"]: m["role"]
        for m in web_app.api(owner).ok("GET", f"/rooms/{slug}/members")["members"]
    }
    assert roles == {owner: "owner", colleague: "moderator"}

    invite = page.get_by_test_id("invite")
    invite.locator("select[name=role]").select_option("observer")
    invite.get_by_role("button").click()
    link = page.get_by_test_id("invitation-link").input_value()
    assert "/invite/" in link
    expect(page.get_by_test_id("invitation")).to_have_count(1)

    visitor = open_page()
    visitor.goto(link)
    visitor.get_by_role("main").get_by_role("link", name="Вход").click()
    visitor.locator("input[name=name]").fill(guest)
    visitor.locator("input[name=password]").fill(PASSWORD)
    visitor.locator("button[type=submit]").click()
    visitor.get_by_test_id("accept").click()
    expect(visitor.locator(".room-title h1")).to_have_text("Общински съвет")
    expect(visitor.locator(".room-title .meta")).to_contain_text("наблюдател")

    page.reload()
    expect(page.get_by_test_id("invitation")).to_contain_text("използвана")
    expect(page.get_by_test_id("member")).to_have_count(3)
