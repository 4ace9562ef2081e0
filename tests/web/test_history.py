"""A proposal's history: its versions with their authors, a past version, and the diff of two
versions saying who added and who removed each line."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import WebApp
from tests.web.conftest import OpenPage
from tests.web.editor_pages import close_clients, scene, two_editors, type_at_end, wait_text

_close_clients = close_clients


def test_versions_a_past_version_and_a_diff_with_authors(
    web_app: WebApp, open_page: OpenPage
) -> None:
    s = scene(web_app)
    ana, other, boris = two_editors(web_app, open_page, s)
    type_at_end(ana, "Ред едно.\n")
    expect(ana.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    wait_text(other, "Ред едно.\n")
    type_at_end(other, "Ред две.")
    expect(other.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")

    ana.get_by_test_id("history-link").click()
    versions = ana.get_by_test_id("version")
    expect(versions).to_have_count(2)
    authors = ana.get_by_test_id("version-author")
    expect(authors).to_have_text(["Борис", "Ана Петрова"])
    expect(authors.first).to_have_attribute("data-author", boris)

    # the newest two are chosen: the diff says Boris added his line
    ana.get_by_test_id("compare").click()
    diff = ana.get_by_test_id("diff")
    inserted = diff.locator(".diff-insert")
    expect(inserted).to_have_count(1)
    expect(inserted.locator("ins")).to_have_text("Добавено: Ред две.")
    expect(inserted).to_have_attribute("data-author", boris)
    expect(inserted.locator(".diff-author")).to_have_text("добави Борис")
    expect(diff.locator(".diff-delete")).to_have_count(0)

    # Ana's version shows the text as it was then
    versions.nth(1).get_by_role("button").click()
    shown = ana.get_by_test_id("version-text")
    expect(shown).to_contain_text("Ред едно.")
    expect(shown).not_to_contain_text("Ред две.")
