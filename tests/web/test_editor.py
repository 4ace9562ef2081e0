"""The proposal editor in real browsers: co-editing with named cursors, read-only observers,
the stock Node y-websocket client on the same document, frozen proposals, the preview."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import WebApp, run_async, unique
from tests.support.yjs_node import YjsNodeClient
from tests.web.conftest import OpenPage
from tests.web.editor_pages import (
    close_clients,
    editor_text,
    open_editor,
    scene,
    text_of,
    type_at_end,
    wait_text,
)

_close_clients = close_clients


def test_two_people_co_edit_and_see_each_others_named_cursor(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = scene(web_app)
    boris = web_app.create_user(unique("boris"), display_name="Борис Илиев")
    s.owner_api.member(s.slug, boris, "participant")
    ana_page, boris_page = open_page(s.owner), open_page(boris)
    open_editor(ana_page, s.path)
    open_editor(boris_page, s.path)

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
    for page in (ana_page, boris_page):
        wait_text(page, node_text)


def test_an_observer_reads_but_cannot_type(web_app: WebApp, open_page: OpenPage) -> None:
    s = scene(web_app)
    olga = web_app.create_user(unique("olga"), display_name="Олга")
    s.owner_api.member(s.slug, olga, "observer")
    owner_page = open_page(s.owner)
    open_editor(owner_page, s.path)
    type_at_end(owner_page, "Текст на собственика.")
    expect(owner_page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")

    page = open_page(olga)
    open_editor(page, s.path)
    expect(page.get_by_test_id("frozen-reason")).to_contain_text("наблюдател")
    content = editor_text(page)
    wait_text(page, "Текст на собственика.")
    expect(content).to_have_attribute("contenteditable", "false")
    content.click()
    page.keyboard.type("опит")
    page.wait_for_timeout(300)
    assert text_of(page) == "Текст на собственика."
    assert text_of(owner_page) == "Текст на собственика."


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
    content = editor_text(page)
    expect(content).to_have_attribute("contenteditable", "false")
    content.click()
    page.keyboard.type(" more")
    page.wait_for_timeout(300)
    assert text_of(page) == "The text voted on."

    # and a fresh page is read-only from the start
    page.reload()
    expect(page.get_by_test_id("frozen-reason")).to_be_visible()
    expect(editor_text(page)).to_have_attribute("contenteditable", "false")
    text = s.owner_api.ok("GET", f"/documents/{s.proposal['document']}")["content"]["content"]
    assert text == "The text voted on."


def test_the_preview_renders_markdown_sanitized(web_app: WebApp, open_page: OpenPage) -> None:
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


def test_at_375_px_the_comments_stack_under_the_text(web_app: WebApp, open_page: OpenPage) -> None:
    s = scene(web_app)
    page = open_page(s.owner, width=375, height=800)
    open_editor(page, s.path)
    editor_box = page.get_by_test_id("editor").bounding_box()
    comments_box = page.locator(".comments-margin").bounding_box()
    assert editor_box
    assert comments_box
    assert comments_box["y"] >= editor_box["y"] + editor_box["height"]
    assert editor_box["x"] + editor_box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
