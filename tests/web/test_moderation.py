"""Moderation in real browsers: a flag reaches the moderator's queue, the message is hidden
for the others, a mute and slow mode are explained to the person they stop, the lock."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.web import WebApp, axe_problems
from tests.web.conftest import OpenPage
from tests.web.live_pages import CROSS_CLIENT, live_scene, messages, open_live, post


def test_flag_hide_mute_slow_mode_and_lock(web_app: WebApp, open_page: OpenPage) -> None:
    s = live_scene(web_app, boris=("Борис", "participant"), petar=("Петър", "participant"))
    moderator, boris, petar = (
        open_page(s.owner),
        open_page(s.people["boris"]),
        open_page(s.people["petar"]),
    )
    for page in (moderator, boris, petar):
        open_live(page, s.path)
    post(petar, "Обидна забележка.")

    # Boris flags it; the moderator's queue has it
    offending = messages(boris).filter(has_text="Обидна забележка.")
    expect(offending).to_have_count(1, timeout=CROSS_CLIENT)
    expect(petar.get_by_test_id("flag-message")).to_have_count(0)  # not one's own message
    offending.get_by_test_id("flag-message").click()
    boris.get_by_test_id("flag-form").locator("input").fill("обида")
    boris.get_by_test_id("flag-form").get_by_role("button", name="Изпрати сигнала").click()
    expect(boris.get_by_test_id("flag-form")).to_have_count(0)
    moderator.get_by_role("tab", name="Модерация").click()
    flag = moderator.get_by_test_id("flag")
    expect(flag).to_contain_text("Обидна забележка.", timeout=CROSS_CLIENT)
    expect(flag).to_contain_text("Причина: обида")
    # participants see no moderation tab
    expect(boris.get_by_role("tab", name="Модерация")).to_have_count(0)

    flag.get_by_test_id("hide").click()
    hidden = messages(boris).filter(has_text="Скрито от модератор: обида")
    expect(hidden).to_have_count(1, timeout=CROSS_CLIENT)
    expect(messages(boris).filter(has_text="Обидна забележка.")).to_have_count(0)
    flag.get_by_role("button", name="Приключи сигнала").click()
    expect(moderator.get_by_test_id("flag")).to_have_count(0)

    # Petar is muted for ten minutes: he is told why he cannot post, and until when
    mute = moderator.get_by_test_id("mute-form")
    mute.get_by_label("Потребителско име").fill(s.people["petar"])
    mute.get_by_label("Причина").fill("обиди")
    mute.get_by_role("button", name="Заглуши").click()
    expect(moderator.get_by_test_id("mutes")).to_contain_text("Петър", timeout=CROSS_CLIENT)
    composer = petar.get_by_test_id("composer").locator("textarea")
    composer.fill("Пак аз.")
    composer.press("Enter")
    expect(petar.get_by_test_id("discussion-error")).to_contain_text(
        "Модератор ви е заглушил до", timeout=CROSS_CLIENT
    )
    moderator.get_by_test_id("mutes").get_by_role("button", name="Върни думата").click()
    expect(moderator.get_by_test_id("mutes").locator("li")).to_have_count(0, timeout=CROSS_CLIENT)

    # slow mode: a second message within the period is refused with the time to wait
    slow = moderator.get_by_test_id("slow-mode")
    slow.locator("input").fill("300")
    slow.get_by_role("button", name="Приложи").click()
    expect(boris.get_by_test_id("slow-notice")).to_contain_text("300", timeout=CROSS_CLIENT)
    post(boris, "Първо съобщение в бавен режим.")
    composer = boris.get_by_test_id("composer").locator("textarea")
    composer.fill("Второ.")
    composer.press("Enter")
    expect(boris.get_by_test_id("discussion-error")).to_have_text(
        re.compile(r"бавен режим: следващото съобщение е възможно след \d+ секунди"),
        timeout=CROSS_CLIENT,
    )
    slow.locator("input").fill("0")
    slow.get_by_role("button", name="Приложи").click()
    expect(boris.get_by_test_id("slow-notice")).to_have_count(0, timeout=CROSS_CLIENT)

    # the lock: participants may not write, and are told so
    moderator.get_by_test_id("lock").click()
    expect(moderator.get_by_test_id("lock")).to_have_text("Отключи стаята", timeout=CROSS_CLIENT)
    expect(boris.get_by_test_id("locked-notice")).to_be_visible(timeout=CROSS_CLIENT)
    composer.fill("А сега?")
    composer.press("Enter")
    expect(boris.get_by_test_id("discussion-error")).to_have_text(
        "Стаята е заключена: пишат само модераторите.", timeout=CROSS_CLIENT
    )
    moderator.get_by_test_id("lock").click()
    expect(moderator.get_by_test_id("lock")).to_have_text("Заключи стаята", timeout=CROSS_CLIENT)
    expect(boris.get_by_test_id("locked-notice")).to_have_count(0, timeout=CROSS_CLIENT)
    expect(composer).to_have_value("А сега?")  # a refused message is not lost
    composer.press("Enter")
    expect(messages(petar).filter(has_text="А сега?")).to_have_count(1, timeout=CROSS_CLIENT)


@pytest.mark.parametrize(("locale", "width"), [("bg", 1280), ("en", 375)])
def test_the_live_panels_are_accessible(
    web_app: WebApp, open_page: OpenPage, locale: str, width: int
) -> None:
    s = live_scene(web_app, boris=("Борис", "participant"))
    boris = open_page(s.people["boris"])
    open_live(boris, s.path)
    post(boris, "Съобщение с **удебелен** текст и [връзка](https://example.org).")
    page = open_page(s.owner, locale=locale, width=width)
    open_live(page, s.path)
    expect(messages(page)).to_have_count(1, timeout=CROSS_CLIENT)
    messages(page).first.get_by_test_id("flag-message").click()
    assert axe_problems(page) == []
    names = (
        ["Дневен ред", "Присъстващи", "Модерация"]
        if locale == "bg"
        else ["Agenda", "People", "Moderation"]
    )
    for name in names:
        page.get_by_role("tab", name=name).click()
        expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
        assert axe_problems(page) == [], name
