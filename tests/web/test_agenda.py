"""The agenda and the speaking queue in real browsers: the chair builds the agenda and runs
it, a participant raises a hand, gets the floor with a time that counts down, and the chair
passes the floor on."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.web import WebApp
from tests.web.conftest import OpenPage
from tests.web.live_pages import CROSS_CLIENT, live_scene, open_live


def test_the_chair_runs_the_agenda_and_gives_the_floor_with_a_timer(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = live_scene(web_app, boris=("Борис Илиев", "participant"), vera=("Вера", "participant"))
    chair, boris = open_page(s.owner), open_page(s.people["boris"])
    open_live(chair, s.path, tab="Дневен ред")
    open_live(boris, s.path, tab="Дневен ред")

    add = chair.get_by_test_id("agenda-add")
    for title in ("Откриване", "Бюджет за 2027 г."):
        add.locator("input").fill(title)
        add.get_by_role("button", name="Добави точка").click()
        expect(add.locator("input")).to_have_value("")
    items = boris.get_by_test_id("agenda-item")
    expect(items).to_have_text(["Откриване", "Бюджет за 2027 г."], timeout=CROSS_CLIENT)
    # a participant does not run the session
    expect(boris.get_by_test_id("agenda-add")).to_have_count(0)
    expect(boris.get_by_role("button", name="Започни точката")).to_have_count(0)

    budget = chair.get_by_test_id("agenda-item").filter(has_text="Бюджет")
    budget.get_by_role("button", name="Започни точката").click()
    expect(items.filter(has_text="Бюджет")).to_have_attribute(
        "aria-current", "step", timeout=CROSS_CLIENT
    )

    # Boris raises his hand; the chair sees him in the queue and gives him two minutes
    boris.get_by_test_id("hand").click()
    expect(boris.get_by_test_id("hand")).to_have_text("Свали ръка", timeout=CROSS_CLIENT)
    queued = chair.get_by_test_id("queued")
    expect(queued).to_have_text(re.compile("Борис Илиев"), timeout=CROSS_CLIENT)
    chair.get_by_label("Време за изказване").fill("120")
    chair.get_by_label("Време за изказване").dispatch_event("change")
    queued.get_by_role("button", name="Дай думата").click()

    for page in (boris, chair):
        expect(page.get_by_test_id("floor")).to_contain_text(
            "Думата има Борис Илиев", timeout=CROSS_CLIENT
        )
    timer = boris.get_by_test_id("floor-timer")
    expect(timer).to_have_text(re.compile(r"^\s*[12]:\d\d\s*$"))
    first = timer.inner_text().strip()
    expect(timer).not_to_have_text(first, timeout=CROSS_CLIENT)  # it counts down
    # his hand went down with the floor
    expect(boris.get_by_test_id("queued")).to_have_count(0)
    expect(boris.get_by_test_id("hand")).to_have_text("Вдигни ръка")

    # Vera (over the API) raises her hand; "next speaker" passes the floor to her
    vera = open_page(s.people["vera"])
    open_live(vera, s.path, tab="Дневен ред")
    vera.get_by_test_id("hand").click()
    expect(chair.get_by_test_id("queued")).to_have_count(1, timeout=CROSS_CLIENT)
    chair.get_by_test_id("next-speaker").click()
    expect(boris.get_by_test_id("floor")).to_contain_text("Думата има Вера", timeout=CROSS_CLIENT)
    chair.get_by_role("button", name="Отнеми думата").click()
    expect(vera.get_by_test_id("floor")).to_have_text("Никой няма думата.", timeout=CROSS_CLIENT)
