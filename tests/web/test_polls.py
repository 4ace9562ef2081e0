"""The ballot screen in real browsers: casting in every method (ranked by dragging and by
keyboard), the running count reaching a second person live, a secret ballot's receipt shown
once and verified, round tables of IRV and STV and Schulze's matrix, closing a vote and
seeing its result, and axe-core on the screen in both languages at desktop and phone width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.web import WebApp, axe_problems
from tests.web.conftest import OpenPage
from tests.web.decision_pages import Room, patient_expect, room

_patient_expect = patient_expect

LIVE = 15_000  # cross-client expectations: generous, the CPU may be loaded


def open_poll(page: Page, r: Room, poll: dict[str, Any]) -> None:
    page.goto(f"/rooms/{r.slug}/polls/{poll['id']}")
    expect(page.get_by_test_id("poll")).to_be_visible()
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "class", "connection connection-open"
    )


def choose(page: Page, option: str) -> None:
    page.get_by_test_id("ballot").get_by_text(option, exact=True).click()


def count_of(page: Page, option: str) -> Any:
    return page.locator(
        f"[data-testid=tally-counts] tr[data-option='{option}'] [data-testid=count]"
    )


def test_casting_yes_no_single_choice_approval_and_score(
    web_app: WebApp, open_page: OpenPage
) -> None:
    r = room(web_app, voters=1)
    voter = r.voters[0]
    page = open_page(voter)

    yes_no = r.poll("Да боядисаме ли залата?", "yes_no_abstain", allow_change=False)
    open_poll(page, r, yes_no)
    choose(page, "Против")
    page.get_by_test_id("cast").click()
    expect(page.get_by_test_id("voted")).to_contain_text("Гласували сте")
    # this vote takes no second ballot: nothing offers to change it
    expect(page.get_by_test_id("voted")).to_contain_text("не може да се променя")
    expect(page.get_by_test_id("change-ballot")).to_have_count(0)
    expect(count_of(page, "no")).to_have_text("1")
    expect(page.get_by_test_id("ballot-count")).to_contain_text("1 от 2")

    single = r.poll("Цвят", "single_choice", ["Бял", "Зелен", "Син"])
    open_poll(page, r, single)
    choose(page, "Зелен")
    page.get_by_test_id("cast").click()
    expect(count_of(page, "Зелен")).to_have_text("1")

    approval = r.poll("Дни за срещи", "approval", ["Понеделник", "Сряда", "Петък"])
    open_poll(page, r, approval)
    choose(page, "Понеделник")
    choose(page, "Петък")
    page.get_by_test_id("cast").click()
    expect(count_of(page, "Понеделник")).to_have_text("1")
    expect(count_of(page, "Петък")).to_have_text("1")
    expect(count_of(page, "Сряда")).to_have_text("0")

    score = r.poll("Оценете проектите", "score", ["Парк", "Паркинг"])
    open_poll(page, r, score)
    park = page.get_by_label("Парк", exact=True)
    park.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("score-value").first).to_have_text("4")
    page.get_by_label("Паркинг", exact=True).focus()
    page.keyboard.press("ArrowRight")
    page.get_by_test_id("cast").click()
    scores = page.get_by_test_id("tally-scores")
    expect(scores.locator("tr[data-option='Парк'] [data-testid=mean]")).to_have_text("4")
    expect(scores.locator("tr[data-option='Паркинг'] [data-testid=mean]")).to_have_text("1")

    # what the server counted is what was chosen
    record = r.close(score["id"])
    assert record["ballots"] == [{"voter": voter, "choice": {"Парк": 4, "Паркинг": 1}}]
    assert r.close(approval["id"])["ballots"][0]["choice"] == ["Понеделник", "Петък"]


def test_ranking_by_dragging_and_by_keyboard_then_irv_rounds(
    web_app: WebApp, open_page: OpenPage
) -> None:
    r = room(web_app, voters=2)
    poll = r.poll("Председател", "ranked", ["Ана", "Борис", "Вера"], rules={"ranked": "irv"})
    dragger, typist = open_page(r.voters[0]), open_page(r.voters[1], width=375)

    # tap to rank, then drag the last option onto the first: it takes the first place
    open_poll(dragger, r, poll)
    unranked = dragger.get_by_test_id("unranked")
    for name in ("Вера", "Ана", "Борис"):
        unranked.get_by_role("button", name=name).click()
    items = dragger.get_by_test_id("rank-item")
    expect(items).to_have_count(3)
    items.nth(2).drag_to(items.nth(0))
    expect(items.nth(0)).to_have_attribute("data-option", "Борис")
    expect(dragger.get_by_test_id("rank-announcement")).to_have_text("„Борис“ е на 1. място от 3.")
    dragger.get_by_test_id("cast").click()
    expect(dragger.get_by_test_id("voted")).to_be_visible()

    # by keyboard only: Alt+ArrowUp moves the focused option, the move is announced
    open_poll(typist, r, poll)
    for name in ("Ана", "Борис", "Вера"):
        typist.get_by_test_id("unranked").get_by_role("button", name=name).click()
    last = typist.get_by_test_id("rank-item").nth(2)
    last.focus()
    typist.keyboard.press("Alt+ArrowUp")
    typist.keyboard.press("Alt+ArrowUp")
    ranked = typist.get_by_test_id("rank-item")
    expect(ranked.nth(0)).to_have_attribute("data-option", "Вера")
    expect(ranked.nth(0)).to_be_focused()
    expect(typist.get_by_test_id("rank-announcement")).to_have_text("„Вера“ е на 1. място от 3.")
    typist.keyboard.press("Alt+ArrowDown")
    expect(ranked.nth(1)).to_have_attribute("data-option", "Вера")
    typist.keyboard.press("Delete")
    expect(ranked).to_have_count(2)
    expect(ranked.nth(1)).to_be_focused()  # the focus stays in the list
    typist.get_by_test_id("cast").click()
    expect(typist.get_by_test_id("voted")).to_be_visible()

    # the owner votes too, closes the vote in the page (an inline confirmation, no dialog)
    r.cast(r.owner, poll["id"], ["Вера", "Борис"])
    owner = open_page(r.owner)
    open_poll(owner, r, poll)
    owner.get_by_test_id("close-poll").click()
    owner.get_by_test_id("confirm-close").click()
    expect(owner.get_by_test_id("poll")).to_have_attribute("data-state", "closed")
    rounds = owner.get_by_test_id("rounds")
    expect(rounds).to_contain_text("Кръг 2")
    # level in round 1, the later option (Вера) is out; her ballot passes to Борис
    expect(rounds.locator("tr[data-option='Вера']")).to_contain_text("отпада")
    expect(rounds.locator("tr.transfers")).to_contain_text("Борис +1")
    expect(rounds).to_contain_text("по реда на вариантите")
    expect(owner.get_by_test_id("outcome")).to_contain_text("Борис")
    # the voters' pages follow the close live, with the result and a link to the record
    expect(typist.get_by_test_id("poll")).to_have_attribute("data-state", "closed", timeout=LIVE)
    expect(typist.get_by_test_id("record-link")).to_be_visible(timeout=LIVE)

    decisions = r.api().ok("GET", f"/rooms/{r.slug}/decisions")["decisions"]
    ballots = {b["voter"]: b["choice"] for b in decisions[-1]["ballots"]}
    assert ballots[r.voters[0]] == ["Борис", "Вера", "Ана"]
    assert ballots[r.voters[1]] == ["Ана", "Борис"]  # Вера was taken out with Delete


def test_stv_and_schulze_counts_show_their_tables(web_app: WebApp, open_page: OpenPage) -> None:
    r = room(web_app, voters=3)
    options = ["Ана", "Борис", "Вера", "Георги"]
    stv = r.poll("Комисия", "stv", options, rules={"seats": 2})
    schulze = r.poll("Ред на точките", "ranked", options[:3], rules={"ranked": "schulze"})
    page = open_page(r.voters[0])
    open_poll(page, r, stv)
    expect(page.get_by_test_id("ballot")).to_contain_text("Избират се 2 места")
    page.get_by_test_id("unranked").get_by_role("button", name="Ана").click()
    page.get_by_test_id("unranked").get_by_role("button", name="Вера").click()
    page.get_by_test_id("cast").click()
    expect(page.get_by_test_id("voted")).to_be_visible()
    for voter, choice in zip(
        [r.voters[1], r.voters[2], r.owner],
        [["Ана", "Борис"], ["Вера"], ["Георги", "Вера"]],
        strict=True,
    ):
        r.cast(voter, stv["id"], choice)
        r.cast(voter, schulze["id"], choice[:1] if choice[0] != "Георги" else ["Борис"])
    expect(page.get_by_test_id("stv-facts")).to_contain_text("квота (по Друп): 2", timeout=LIVE)
    r.close(stv["id"])
    expect(page.get_by_test_id("poll")).to_have_attribute("data-state", "closed", timeout=LIVE)
    rounds = page.get_by_test_id("rounds")
    expect(rounds).to_contain_text("Кръг 1")
    expect(rounds.locator("tr[data-option='Ана']")).to_contain_text("избран")
    expect(page.get_by_test_id("outcome")).to_contain_text("Ана, Вера")

    r.close(schulze["id"])
    open_poll(page, r, schulze)
    expect(page.get_by_test_id("pairwise")).to_be_visible()
    expect(page.get_by_test_id("schulze-ranking")).to_contain_text("›")


def test_the_running_count_reaches_another_person_live(
    web_app: WebApp, open_page: OpenPage
) -> None:
    r = room(web_app, voters=2)
    poll = r.poll("Обяд", "single_choice", ["Супа", "Салата"])
    watcher, voter = open_page(r.voters[0]), open_page(r.voters[1])
    open_poll(watcher, r, poll)
    open_poll(voter, r, poll)
    expect(count_of(watcher, "Салата")).to_have_text("0")
    choose(voter, "Салата")
    voter.get_by_test_id("cast").click()
    expect(count_of(watcher, "Салата")).to_have_text("1", timeout=LIVE)
    expect(watcher.get_by_test_id("ballot-count")).to_contain_text("1 от 3", timeout=LIVE)
    r.cast(r.owner, poll["id"], "Супа")
    expect(count_of(watcher, "Супа")).to_have_text("1", timeout=LIVE)
    expect(count_of(voter, "Супа")).to_have_text("1", timeout=LIVE)

    # an observer follows the count too, and is not offered a ballot
    observer = web_app.create_user(f"{r.voters[0]}obs")
    r.api().member(r.slug, observer, "observer")
    reader = open_page(observer)
    open_poll(reader, r, poll)
    expect(reader.get_by_test_id("poll")).to_contain_text("Наблюдателите не гласуват")
    expect(reader.get_by_test_id("ballot")).to_have_count(0)
    r.cast(r.voters[0], poll["id"], "Супа")
    expect(count_of(reader, "Супа")).to_have_text("2", timeout=LIVE)


def test_a_secret_ballot_shows_its_receipt_once_and_verifies_it(
    web_app: WebApp, open_page: OpenPage
) -> None:
    r = room(web_app, voters=1)
    poll = r.poll(
        "Тайно: нов домоуправител", "yes_no_abstain", secret=True, visibility="after_close"
    )
    page = open_page(r.voters[0], locale="en")
    open_poll(page, r, poll)
    expect(page.get_by_test_id("tally-hidden")).to_be_visible()
    choose(page, "Yes")
    page.get_by_test_id("cast").click()
    code = page.get_by_test_id("receipt-code")
    expect(code).to_be_visible()
    receipt = code.inner_text()
    assert len(receipt) >= 20
    page.get_by_test_id("verify-receipt").click()
    expect(page.get_by_test_id("receipt-check")).to_have_attribute("data-counted", "true")
    expect(page.get_by_test_id("receipt-check")).to_contain_text("Your ballot is counted: Yes")

    # shown once: after a reload the page no longer has it
    page.reload()
    expect(page.get_by_test_id("voted")).to_contain_text("in secret")
    expect(page.get_by_test_id("receipt")).to_have_count(0)
    # kept by the voter, it still verifies, and lets them change the ballot
    page.get_by_text("I have a receipt from before").click()
    page.get_by_test_id("receipt-input").fill(receipt)
    page.get_by_role("button", name="Verify my ballot").click()
    expect(page.get_by_test_id("receipt-check")).to_contain_text("Yes")
    page.get_by_test_id("change-ballot").click()
    choose(page, "No")
    page.get_by_test_id("cast").click()
    expect(page.get_by_test_id("voted")).to_be_visible()
    check = r.api().get(f"/rooms/{r.slug}/polls/{poll['id']}/receipts/{receipt}")
    assert check.json()["choice"] == "no"
    record = r.close(poll["id"])
    assert record["ballots"] is None
    assert record["tally"]["counts"]["no"] == 1


@pytest.fixture(scope="module")
def ranked_poll(web_app: WebApp) -> tuple[Room, dict[str, Any]]:
    r = room(web_app, voters=1)
    poll = r.poll("Достъпно подреждане", "stv", ["Ана", "Борис", "Вера"], rules={"seats": 2})
    r.cast(r.voters[0], poll["id"], ["Борис", "Ана"])
    return r, poll


@pytest.mark.parametrize(
    ("locale", "width"), [("bg", 1280), ("en", 1280), ("bg", 375), ("en", 375)]
)
def test_the_poll_screen_is_accessible(
    open_page: OpenPage,
    ranked_poll: tuple[Room, dict[str, Any]],
    locale: str,
    width: int,
) -> None:
    r, poll = ranked_poll
    page = open_page(r.owner, locale=locale, width=width)
    open_poll(page, r, poll)
    page.get_by_test_id("unranked").get_by_role("button").first.click()
    expect(page.get_by_test_id("rank-item")).to_have_count(1)
    expect(page.get_by_test_id("rounds")).to_be_visible()
    assert axe_problems(page) == []
