"""The room's proposals and polls panels and its overview: a vote of its own opened from the
polls panel in a method with settings (STV, seats, secret, a deadline) that then closes by
itself; the proposal lifecycle from the panel with an inline confirmation; what an observer
is offered; the overview following the room live; axe-core on the panels."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.web import WebApp, axe_problems
from tests.web.conftest import OpenPage
from tests.web.decision_pages import Room, patient_expect, room

_patient_expect = patient_expect


def open_room(page: Page, r: Room, tab: str | None = None) -> None:
    page.goto(r.path)
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "class", "connection connection-open"
    )
    if tab:
        page.get_by_role("tab", name=tab).click()


def test_a_vote_of_its_own_from_the_polls_panel_closes_at_its_deadline(
    web_app: WebApp, open_page: OpenPage
) -> None:
    r = room(web_app, voters=1)
    page = open_page(r.owner)
    open_room(page, r, "Гласувания")
    panel = page.get_by_test_id("polls-panel")
    expect(panel.get_by_test_id("open-polls")).to_have_count(0)
    panel.get_by_test_id("new-poll").click()
    form = panel.get_by_test_id("vote-form")
    form.get_by_test_id("poll-title").fill("Управителен съвет")
    form.get_by_test_id("poll-method").select_option("stv")
    form.get_by_test_id("poll-options").fill("Ана\nБорис\n\nВера\n")
    form.get_by_label("Брой места").fill("2")
    form.get_by_test_id("poll-secret").check()
    form.get_by_test_id("poll-visibility").select_option("always")
    # minutes: it opens in 4.2 seconds and closes 4.2 seconds later. Seeing it scheduled took
    # under 0.3 s and seeing it open under 0.5 s after its time with `stress --cpu 2` beside
    # the test; expect() polls at least every 0.5 s.
    form.get_by_test_id("opens-amount").fill("0.07")
    form.get_by_test_id("closes-amount").fill("0.07")
    with page.expect_response(
        lambda answer: (
            answer.url.endswith(f"/rooms/{r.slug}/polls") and answer.request.method == "POST"
        )
    ) as created:
        form.get_by_test_id("open-vote").click()
    assert created.value.json()["state"] == "scheduled"

    # the page moves to the new vote, scheduled (checked first: it opens soon); the server has
    # it as it was set
    expect(page.get_by_test_id("poll")).to_contain_text("Гласуването започва на")
    expect(page.get_by_test_id("poll")).to_contain_text("Единичен прехвърлим глас")
    expect(page.get_by_test_id("poll")).to_contain_text("2 места")
    [poll] = r.api().ok("GET", f"/rooms/{r.slug}/polls")["polls"]
    assert poll["method"] == "stv"
    assert poll["options"] == ["Ана", "Борис", "Вера"]
    assert poll["rules"]["seats"] == 2
    assert poll["secret"] is True
    assert poll["closes_at"] is not None
    expect(panel.get_by_test_id("open-polls").get_by_test_id("poll-item")).to_have_count(1)
    # it opens at its time: the ballot appears without a reload
    expect(page.get_by_test_id("ranking-ballot")).to_be_visible(timeout=30_000)
    assert page.get_by_test_id("poll").get_attribute("data-state") in ("open", "closed")

    # the deadline passes: the vote closes by itself, the page and the panel follow
    expect(page.get_by_test_id("poll")).to_have_attribute("data-state", "closed", timeout=30_000)
    expect(page.get_by_test_id("outcome")).to_have_attribute("data-outcome", "no_votes")
    expect(panel.get_by_test_id("closed-polls").get_by_test_id("poll-item")).to_have_count(1)
    expect(panel.get_by_test_id("records").get_by_test_id("record-item")).to_have_count(1)


def test_the_proposal_lifecycle_in_the_panel_and_the_overview_live(
    web_app: WebApp, open_page: OpenPage
) -> None:
    r = room(web_app, voters=1)
    observer = web_app.create_user(f"{r.voters[0]}obs", display_name="Наблюдател")
    r.api().member(r.slug, observer, "observer")
    watcher = open_page(r.owner)
    open_room(watcher, r)
    expect(watcher.get_by_test_id("overview-proposals")).to_contain_text("още няма")

    page = open_page(r.voters[0])
    open_room(page, r, "Предложения")
    panel = page.get_by_test_id("proposals-panel")
    for title in ("Ремонт на покрива", "Нова ограда"):
        panel.get_by_test_id("new-proposal").locator("input[name=title]").fill(title)
        panel.get_by_test_id("new-proposal").locator("button[type=submit]").click()
        expect(page.get_by_test_id("proposal")).to_contain_text(title)
    items = panel.get_by_test_id("proposal-item")
    expect(items).to_have_count(2)
    # the owner's overview follows without a reload
    expect(watcher.get_by_test_id("overview-proposals").locator("li")).to_have_count(2)

    roof = items.filter(has_text="Ремонт на покрива")
    roof.get_by_test_id("start-discussion").click()
    expect(roof).to_have_attribute("data-state", "discussion")
    # a participant may not open the vote: only moderators and owners are offered it
    expect(roof.get_by_test_id("open-vote-form")).to_have_count(0)

    fence = items.filter(has_text="Нова ограда")
    fence.get_by_role("button", name="Оттегли").click()
    fence.get_by_role("button", name="Отказ").click()
    expect(fence).to_have_attribute("data-state", "draft")
    fence.get_by_role("button", name="Оттегли").click()
    fence.get_by_test_id("confirm-withdraw").click()
    expect(fence).to_have_attribute("data-state", "withdrawn")
    expect(
        watcher.get_by_test_id("overview-proposals").locator("li[data-state=withdrawn]")
    ).to_have_count(1)

    # an observer reads the list and is offered nothing to do
    reader = open_page(observer)
    open_room(reader, r, "Предложения")
    expect(reader.get_by_test_id("proposal-item")).to_have_count(2)
    expect(reader.get_by_test_id("new-proposal")).to_have_count(0)
    expect(reader.get_by_test_id("proposals-panel").get_by_role("button")).to_have_count(0)

    # a participant may move only their own proposals: the owner's comes with no action
    r.api().ok("POST", f"/rooms/{r.slug}/proposals", {"title": "Проект на собственика"})
    theirs = items.filter(has_text="Проект на собственика")
    expect(theirs).to_have_count(1)
    expect(theirs).to_have_attribute("data-state", "draft")
    expect(theirs.get_by_role("button")).to_have_count(0)
    expect(roof.get_by_role("button", name="Оттегли")).to_be_visible()


@pytest.mark.parametrize(("locale", "width"), [("bg", 1280), ("en", 375)])
def test_the_overview_and_panels_are_accessible(
    web_app: WebApp, open_page: OpenPage, locale: str, width: int
) -> None:
    r = room(web_app, voters=1)
    r.proposal("Достъпност", "Текст.\n")
    poll = r.poll("Анкета", "approval", ["А", "Б"])
    r.cast(r.voters[0], poll["id"], ["А"])
    r.decided_proposal("Решено", "Друг текст.\n", {r.voters[0]: "yes"})
    page = open_page(r.owner, locale=locale, width=width)
    open_room(page, r)
    expect(page.get_by_test_id("overview-records").locator("li")).to_have_count(1)
    assert axe_problems(page) == []
    page.get_by_role("tab", name="Предложения" if locale == "bg" else "Proposals").click()
    page.get_by_test_id("open-vote-form").click()
    expect(page.get_by_test_id("vote-form")).to_be_visible()
    assert axe_problems(page) == []
    page.get_by_role("tab", name="Гласувания" if locale == "bg" else "Votes").click()
    page.get_by_test_id("new-poll").click()
    expect(page.get_by_test_id("vote-form")).to_be_visible()
    expect(page.get_by_test_id("records").locator("li")).to_have_count(1)
    assert axe_problems(page) == []
