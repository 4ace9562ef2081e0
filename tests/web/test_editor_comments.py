"""Anchored comments: select a passage, comment on it with the keyboard, see it in the margin
beside the passage, and keep it on the same words after edits before it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import WebApp
from tests.web.conftest import OpenPage
from tests.web.editor_pages import close_clients, editor_text, open_editor, scene, type_at_end

_close_clients = close_clients


def test_select_comment_and_the_anchor_follows_the_text(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = scene(web_app)
    page = open_page(s.owner)
    open_editor(page, s.path)
    type_at_end(page, "Първи ред.\nСрокът е 30 дни.")
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")

    # select "30 дни" with the keyboard: line 2, after "Срокът е "
    keyboard = page.keyboard
    keyboard.press("Control+Home")
    keyboard.press("ArrowDown")
    keyboard.press("Home")
    for _ in range(len("Срокът е ")):
        keyboard.press("ArrowRight")
    for _ in range(len("30 дни")):
        keyboard.press("Shift+ArrowRight")
    button = page.get_by_test_id("comment-button")
    expect(button).to_be_enabled()
    button.focus()
    keyboard.press("Enter")
    form = page.get_by_test_id("comment-form")
    expect(form.locator("blockquote")).to_have_text("30 дни")
    expect(form.locator("textarea")).to_be_focused()
    keyboard.type("Защо не 14?")
    keyboard.press("Tab")
    keyboard.press("Enter")

    comments = page.get_by_test_id("comments")
    card = comments.locator(".comment")
    expect(card).to_have_count(1)
    expect(card.locator(".comment-quote")).to_have_text("30 дни")
    expect(card.locator(".comment-body")).to_have_text("Защо не 14?")
    expect(card).to_contain_text("Ана Петрова")
    mark = page.get_by_test_id("editor").locator(".comment-mark")
    expect(mark).to_have_text("30 дни")
    # on a wide screen the card sits level with its passage's line
    card_box, line_box = card.bounding_box(), mark.bounding_box()
    assert card_box
    assert line_box
    assert abs(card_box["y"] - line_box["y"]) < 40

    # an edit before the passage moves it; the anchor stays on the same words
    editor_text(page).click()
    keyboard.press("Control+Home")
    keyboard.type("Нов увод. ")
    expect(mark).to_have_text("30 дни")
    expect(card.locator(".comment-quote")).to_have_text("30 дни")
    expect(card).to_have_attribute("data-from", str(len("Нов увод. Първи ред.\nСрокът е ")))
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    # and so does the server's anchor, read afresh by a new page
    page.reload()
    expect(page.get_by_test_id("editor").locator(".comment-mark")).to_have_text("30 дни")
    listed = s.owner_api.ok("GET", f"/documents/{s.proposal['document']}/comments")["comments"]
    assert [(c["text"], c["body"]) for c in listed] == [("30 дни", "Защо не 14?")]
