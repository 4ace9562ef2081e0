"""One whole decision in the browser: the owner creates a room and a proposal, two people co-edit
a line of it, the proposal goes to discussion and its vote opens (its text freezes), both vote,
one of them checks his secret ballot with its receipt, the vote is closed, and the decision
record opens and verifies."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import Page, expect

from tests.support.web import WebApp, unique
from tests.web.conftest import OpenPage
from tests.web.decision_pages import patient_expect
from tests.web.editor_pages import editor_text, open_editor, type_at_end, wait_text

_patient_expect = patient_expect


def cast_yes(page: Page) -> None:
    page.get_by_test_id("ballot").get_by_text("За", exact=True).click()
    page.get_by_test_id("cast").click()
    expect(page.get_by_test_id("voted")).to_be_visible()


def test_from_a_new_room_to_a_verified_decision(web_app: WebApp, open_page: OpenPage) -> None:
    owner = web_app.create_user(unique("ana"), display_name="Ана Петрова")
    boris = web_app.create_user(unique("boris"), display_name="Борис Илиев")
    page = open_page(owner)

    # the room, made in the page; Boris joins it as a participant
    form = page.get_by_test_id("create-room")
    form.locator("input[name=title]").fill(f"Квартален съвет {unique('')}")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("room")).to_be_visible()
    slug = urlparse(page.url).path.split("/")[2]
    web_app.api(owner).member(slug, boris, "participant")

    # a proposal from the proposals panel opens in the editor
    page.get_by_role("tab", name="Предложения").click()
    panel = page.get_by_test_id("proposals-panel")
    panel.get_by_test_id("new-proposal").locator("input[name=title]").fill("Правилник за залата")
    panel.get_by_test_id("new-proposal").locator("button[type=submit]").click()
    expect(page.get_by_test_id("proposal")).to_be_visible()
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    proposal_path = urlparse(page.url).path

    # Ana and Boris write one line together
    boris_page = open_page(boris)
    open_editor(boris_page, proposal_path)
    type_at_end(page, "Чл. 1. Залата се ползва ")
    expect(editor_text(boris_page)).to_contain_text("Чл. 1. Залата се ползва", timeout=15_000)
    type_at_end(boris_page, "до 22 ч.")
    wait_text(page, "Чл. 1. Залата се ползва до 22 ч.", timeout=15_000)
    for each in (page, boris_page):
        expect(each.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")

    # discussion, then the vote: the text freezes in Boris's editor
    item = panel.get_by_test_id("proposal-item")
    item.get_by_test_id("start-discussion").click()
    expect(item).to_have_attribute("data-state", "discussion")
    item.get_by_test_id("open-vote-form").click()
    item.get_by_test_id("poll-visibility").select_option("always")
    item.get_by_test_id("poll-secret").check()  # a secret ballot: each voter gets a receipt
    item.get_by_test_id("open-vote").click()
    expect(page.get_by_test_id("poll")).to_be_visible()
    poll_path = urlparse(page.url).path
    expect(boris_page.get_by_test_id("frozen-reason")).to_be_visible()

    # both vote in the page, and Ana closes the vote
    cast_yes(page)
    boris_page.goto(poll_path)
    cast_yes(boris_page)
    # Boris keeps his receipt and checks that his ballot is counted as he cast it
    expect(boris_page.get_by_test_id("receipt-code")).to_be_visible()
    boris_page.get_by_test_id("verify-receipt").click()
    check = boris_page.get_by_test_id("receipt-check")
    expect(check).to_have_attribute("data-counted", "true")
    expect(check).to_contain_text("За")
    # (a secret vote's running count moves in batches, so that it does not tell who voted:
    # the two ballots show in the result)
    page.get_by_test_id("close-poll").click()
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_test_id("outcome")).to_have_attribute("data-outcome", "adopted")
    yes = page.locator("[data-testid=tally-counts] tr[data-option=yes] [data-testid=count]")
    expect(yes).to_have_text("2")
    expect(boris_page.get_by_test_id("poll")).to_have_attribute("data-state", "closed")

    # the record: the text voted on, its hash checked in the browser, the chain verified
    page.get_by_test_id("record-link").click()
    expect(page.get_by_test_id("record-outcome")).to_have_attribute("data-outcome", "adopted")
    expect(page.get_by_test_id("voted-text")).to_have_text("Чл. 1. Залата се ползва до 22 ч.")
    expect(page.get_by_test_id("text-check")).to_have_attribute("data-result", "match")
    expect(page.get_by_test_id("chain")).to_have_attribute("data-intact", "true")
    # and the overview lists it, with the proposal now adopted
    page.get_by_role("link", name="Преглед").click()
    expect(page.get_by_test_id("overview-records")).to_contain_text("Правилник за залата")
    expect(page.get_by_test_id("overview-proposals").locator("li")).to_have_attribute(
        "data-state", "adopted"
    )
