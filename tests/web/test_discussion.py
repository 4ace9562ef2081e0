"""The discussion and people panels in real browsers: messages live between two people,
threads, edits, deletes, reactions, typing, presence, hostile text, and a reconnect."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import WebApp
from tests.web.conftest import OpenPage
from tests.web.live_pages import CROSS_CLIENT, live_scene, messages, open_live, post

HOSTILE = "<img src=x onerror=alert(1)>"


def test_two_people_talk_reply_edit_delete_react_and_see_who_is_typing(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = live_scene(web_app, boris=("Борис Илиев", "participant"))
    ana, boris = open_page(s.owner), open_page(s.people["boris"])
    open_live(ana, s.path)
    open_live(boris, s.path)

    # both are listed as present
    boris.get_by_role("tab", name="Присъстващи").click()
    expect(boris.get_by_test_id("person")).to_have_count(2, timeout=CROSS_CLIENT)
    expect(boris.get_by_test_id("people")).to_contain_text("Ана Петрова")

    post(ana, "Предлагам да започнем с **бюджета**.")
    boris.get_by_role("tab", name="Дискусия").click()
    first = messages(boris).filter(has_text="Предлагам да започнем")
    expect(first).to_have_count(1, timeout=CROSS_CLIENT)
    expect(first.locator("strong", has_text="бюджета")).to_have_count(1)  # Markdown rendered
    expect(first.locator(".author")).to_have_text("Ана Петрова")

    # Boris starts typing: Ana sees it, and it goes when he sends
    composer = boris.get_by_test_id("composer").locator("textarea")
    composer.fill("Съгласен")
    expect(ana.get_by_test_id("typing")).to_have_text("Борис Илиев пише…", timeout=CROSS_CLIENT)

    # a reply sits under the message it answers
    first.get_by_role("button", name="Отговори").click()
    expect(boris.get_by_test_id("replying")).to_contain_text("Ана Петрова")
    composer.fill("Съгласен, но и с транспорта.")
    composer.press("Enter")
    replies = ana.get_by_test_id("replies")
    expect(replies.get_by_test_id("message")).to_contain_text(
        "Съгласен, но и с транспорта.", timeout=CROSS_CLIENT
    )
    expect(ana.get_by_test_id("typing")).to_have_text("", timeout=CROSS_CLIENT)

    # Shift+Enter makes a new line instead of sending
    composer.fill("Ред едно")
    composer.press("Shift+Enter")
    composer.press_sequentially("ред две")
    expect(composer).to_have_value("Ред едно\nред две")
    composer.press("Enter")
    expect(messages(ana).filter(has_text="ред две")).to_have_count(1, timeout=CROSS_CLIENT)

    # Boris edits his reply; Ana sees the new text, marked as edited
    reply = boris.get_by_test_id("replies").get_by_test_id("message")
    reply.get_by_role("button", name="Редактирай").click()
    reply.locator("textarea").fill("Съгласен, и с транспорта, и с училищата.")
    reply.get_by_role("button", name="Запази").click()
    seen = ana.get_by_test_id("replies").get_by_test_id("message")
    expect(seen).to_contain_text("и с училищата", timeout=CROSS_CLIENT)
    expect(seen).to_contain_text("(редактирано)")
    # nobody edits or deletes another's message
    expect(seen.get_by_role("button", name="Редактирай")).to_have_count(0)

    # reactions are counted for everyone, and pressed for the one who reacted
    ana_first = messages(ana).filter(has_text="Предлагам да започнем")
    ana_first.locator("[data-emoji='👍']").click()
    thumbs = first.locator("[data-emoji='👍']")
    expect(thumbs).to_contain_text("1", timeout=CROSS_CLIENT)
    expect(ana_first.locator("[data-emoji='👍']")).to_have_attribute("aria-pressed", "true")
    thumbs.click()
    expect(ana_first.locator("[data-emoji='👍']")).to_contain_text("2", timeout=CROSS_CLIENT)

    # Boris deletes his two-line message: gone for both, the others stay
    mine = messages(boris).filter(has_text="ред две")
    mine.get_by_test_id("delete-message").click()
    expect(messages(ana).filter(has_text="ред две")).to_have_count(0, timeout=CROSS_CLIENT)
    expect(messages(ana).filter(has_text="Съобщението е изтрито.")).to_have_count(1)
    expect(messages(ana)).to_have_count(3)

    # Boris leaves: Ana's people panel drops him (after the server's short grace)
    boris.context.close()
    ana.get_by_role("tab", name="Присъстващи").click()
    expect(ana.get_by_test_id("person")).to_have_count(1, timeout=CROSS_CLIENT)


def test_hostile_text_is_shown_as_text_and_nothing_runs(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = live_scene(web_app, title=HOSTILE, mallory=(HOSTILE, "participant"))
    mallory = open_page(s.people["mallory"])
    open_live(mallory, s.path)
    post(mallory, f"Вижте {HOSTILE} и <script>alert(2)</script> и [връзка](javascript:alert(3))")
    ana = open_page(s.owner, locale="en-GB")
    open_live(ana, s.path)
    message = messages(ana).first
    expect(message).to_contain_text(HOSTILE, timeout=CROSS_CLIENT)
    expect(message).to_contain_text("<script>alert(2)</script>")
    expect(message.locator(".author")).to_have_text(HOSTILE)
    expect(ana.get_by_role("heading", level=1)).to_have_text(HOSTILE)
    ana.get_by_role("tab", name="People").click()
    expect(ana.get_by_test_id("people")).to_contain_text(HOSTILE, timeout=CROSS_CLIENT)
    for page in (ana, mallory):
        assert page.locator("img, script:not([src])").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0


def test_messages_sent_while_offline_arrive_once_after_the_reconnect(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = live_scene(web_app, boris=("Борис", "participant"))
    ana, boris = open_page(s.owner), open_page(s.people["boris"])
    open_live(ana, s.path)
    open_live(boris, s.path)
    post(ana, "Преди прекъсването.")
    expect(messages(boris)).to_have_count(1, timeout=CROSS_CLIENT)

    boris.context.set_offline(True)
    expect(boris.get_by_test_id("live-state")).not_to_have_class(
        "connection connection-open", timeout=CROSS_CLIENT
    )
    post(ana, "Докато го нямаше.")
    messages(ana).filter(has_text="Докато го нямаше.").locator("[data-emoji='❤️']").click()
    boris.context.set_offline(False)
    expect(boris.get_by_test_id("live-state")).to_have_class(
        "connection connection-open", timeout=30_000
    )
    missed = messages(boris).filter(has_text="Докато го нямаше.")
    expect(missed).to_have_count(1, timeout=CROSS_CLIENT)
    expect(missed.locator("[data-emoji='❤️']")).to_contain_text("1")
    post(boris, "Върнах се.")
    expect(messages(ana).filter(has_text="Върнах се.")).to_have_count(1, timeout=CROSS_CLIENT)
    expect(messages(boris)).to_have_count(3)
    expect(messages(ana)).to_have_count(3)
