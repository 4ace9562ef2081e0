"""The proposal editor in real browsers: co-editing with named cursors, read-only observers,
the stock Node y-websocket client on the same document, frozen proposals, the preview, the
narrow layout, anchored comments in the margin, and amendments (fork, edit, diff, merge)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import WebApp, run_async, unique
from tests.support.yjs_node import YjsNodeClient
from tests.web.conftest import OpenPage
from tests.web.editor_pages import (
    assert_cannot_type,
    close_clients,
    editor_text,
    open_editor,
    scene,
    two_editors,
    type_at_end,
    wait_text,
)

_close_clients = close_clients


def test_two_people_co_edit_and_see_each_others_named_cursor(
    web_app: WebApp, open_page: OpenPage
) -> None:
    """Ana and Boris co-edit; Olga, an observer, reads and cannot type; the stock Node client
    sees the same text (so nothing of Olga's attempt reached the server); undo is per person."""
    s = scene(web_app)
    ana_page, boris_page, _ = two_editors(web_app, open_page, s, "Борис Илиев")

    type_at_end(ana_page, "Чл. 1. Срокът е 30 дни.\n")
    expect(editor_text(boris_page)).to_contain_text("Чл. 1. Срокът е 30 дни.")
    type_at_end(boris_page, "Чл. 2. Нов член.")
    expect(editor_text(ana_page)).to_contain_text("Чл. 2. Нов член.")
    # each sees the other's caret, labelled with the other's display name
    expect(ana_page.locator(".cm-ySelectionInfo")).to_have_text("Борис Илиев")
    expect(boris_page.locator(".cm-ySelectionInfo")).to_have_text("Ана Петрова")
    for page in (ana_page, boris_page):
        expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
        expect(page.get_by_test_id("save-state")).to_have_text("Всички промени са запазени")

    olga = web_app.create_user(unique("olga"), display_name="Олга")
    s.owner_api.member(s.slug, olga, "observer")
    observer = open_page(olga)
    open_editor(observer, s.path)
    expect(observer.get_by_test_id("frozen-reason")).to_contain_text("наблюдател")
    wait_text(observer, "Чл. 1. Срокът е 30 дни.\nЧл. 2. Нов член.")
    assert_cannot_type(observer, "Чл. 1. Срокът е 30 дни.\nЧл. 2. Нов член.")

    # the stock Node client (npm yjs + y-websocket) sees the same text, and its edit arrives
    async def node_client() -> str:
        client = await YjsNodeClient.start(web_app.yjs, s.proposal["document"], s.owner_api.token)
        try:
            await client.wait_synced()
            seen = await client.request("waitText", contains=["Чл. 2. Нов член."])
            assert seen.get("ok"), seen
            await client.request("type", text="\nЧл. 3.", at="end", delayMs=0)
            return str((await client.request("text"))["text"])
        finally:
            await client.close()

    node_text = run_async(node_client())
    assert node_text == "Чл. 1. Срокът е 30 дни.\nЧл. 2. Нов член.\nЧл. 3."
    for page in (ana_page, boris_page, observer):
        wait_text(page, node_text)

    # undo takes back only one's own edit, not what others wrote after it
    editor_text(boris_page).click()
    boris_page.keyboard.press("Control+z")
    for page in (ana_page, boris_page):
        wait_text(page, "Чл. 1. Срокът е 30 дни.\n\nЧл. 3.")


def test_a_proposal_under_vote_is_read_only_with_the_reason_live(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = scene(web_app)
    page = open_page(s.owner, locale="en-GB")
    open_editor(page, s.path)
    expect(page.get_by_test_id("frozen-reason")).to_have_count(0)
    type_at_end(page, "The text voted on.")
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")

    # the vote opens elsewhere: the page locks at once and says why
    s.owner_api.ok("POST", f"/rooms/{s.slug}/proposals/{s.proposal['id']}/vote", {})
    expect(page.get_by_test_id("frozen-reason")).to_contain_text("a vote on it is running")
    expect(page.get_by_test_id("proposal-state")).to_have_text("voting")
    assert_cannot_type(page, "The text voted on.")

    # and a fresh page is read-only from the start
    page.reload()
    expect(page.get_by_test_id("frozen-reason")).to_be_visible()
    expect(editor_text(page)).to_have_attribute("contenteditable", "false")
    text = s.owner_api.ok("GET", f"/documents/{s.proposal['document']}")["content"]["content"]
    assert text == "The text voted on."


def test_the_preview_is_sanitized_and_the_page_fits_375_px(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = scene(web_app)
    page = open_page(s.owner, width=1280)
    open_editor(page, s.path)
    page.get_by_test_id("mode-preview").click()
    expect(page.get_by_test_id("editor")).to_be_hidden()
    page.get_by_test_id("mode-split").click()
    hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    type_at_end(page, f"# Заглавие\n\n**важно** {hostile}")
    preview = page.get_by_test_id("preview")
    expect(preview.locator("h1")).to_have_text("Заглавие")
    expect(preview.locator("strong")).to_have_text("важно")
    expect(preview.locator("img, script")).to_have_count(0)

    # at 375 px wide the page still fits, and the comments stack under the text
    page.set_viewport_size({"width": 375, "height": 800})
    page.get_by_test_id("mode-edit").click()
    editor_box = page.get_by_test_id("editor").bounding_box()
    comments_box = page.locator(".comments-margin").bounding_box()
    assert editor_box
    assert comments_box
    assert comments_box["y"] >= editor_box["y"] + editor_box["height"]
    assert editor_box["x"] + editor_box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


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


def test_fork_edit_diff_and_merge(web_app: WebApp, open_page: OpenPage) -> None:
    s = scene(web_app)
    page = open_page(s.owner)
    open_editor(page, s.path)
    type_at_end(page, "Чл. 1. Срокът е 30 дни.\n")
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")

    form = page.get_by_test_id("amend-form")
    form.locator("input[name=title]").fill("По-кратък срок")
    form.locator("button[type=submit]").click()
    expect(page.locator(".proposal-title h1")).to_have_text("По-кратък срок")
    expect(page.get_by_test_id("amendment-base")).to_have_text("Правилник")
    expect(page.get_by_test_id("merge-state")).to_have_attribute("data-merged", "false")
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    wait_text(page, "Чл. 1. Срокът е 30 дни.\n")
    amendment_path = page.evaluate("location.pathname")
    assert amendment_path != s.path

    type_at_end(page, "Чл. 2. Нов член.")
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    page.get_by_role("button", name="Обнови разликите").click()
    diff = page.get_by_test_id("amendment-diff")
    expect(diff.locator(".diff-insert ins")).to_have_text(["Добавено: Чл. 2. Нов член."])
    expect(diff.locator(".diff-delete")).to_have_count(0)

    page.get_by_test_id("merge").click()
    expect(page.get_by_test_id("merge-state")).to_have_attribute("data-merged", "true")
    base = s.owner_api.ok("GET", f"/documents/{s.proposal['document']}")["content"]["content"]
    assert base == "Чл. 1. Срокът е 30 дни.\nЧл. 2. Нов член."

    # the base lists its amendment, and its editor has the merged text
    page.get_by_test_id("amendment-base").click()
    expect(page.get_by_test_id("amendments").get_by_role("link")).to_have_text(["По-кратък срок"])
    expect(editor_text(page)).to_contain_text("Чл. 2. Нов член.")
