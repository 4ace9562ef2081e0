"""Amendments in the page: fork a proposal, edit the amendment, see its diff against the base
and its merge state, and merge it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import WebApp
from tests.web.conftest import OpenPage
from tests.web.editor_pages import (
    close_clients,
    editor_text,
    open_editor,
    scene,
    type_at_end,
    wait_text,
)

_close_clients = close_clients


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
