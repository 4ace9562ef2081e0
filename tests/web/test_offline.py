"""Offline editing: edits made without a network stay in the browser (IndexedDB) and merge when
it comes back, with what others wrote meanwhile."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import WebApp
from tests.web.conftest import OpenPage
from tests.web.editor_pages import (
    close_clients,
    scene,
    text_of,
    two_editors,
    type_at_end,
    wait_text,
)

_close_clients = close_clients


def test_offline_edits_survive_the_page_and_merge_when_back_online(
    web_app: WebApp, open_page: OpenPage
) -> None:
    """Ana goes offline, edits, and her page goes away before the network comes back; a new
    page of the same browser (context) then opens the proposal online.

    Chromium cannot reload a page while the context is offline (the navigation itself fails),
    so "reload" is done as close + open in the same context once back online: the closed page
    never reconnected, so the only way her offline edit reaches the server is from IndexedDB.
    """
    s = scene(web_app)
    ana, other, _ = two_editors(web_app, open_page, s)
    type_at_end(ana, "Начало.\n")
    wait_text(other, "Начало.\n")

    context = ana.context
    context.set_offline(True)
    expect(ana.get_by_test_id("save-state")).to_have_attribute("data-state", "offline")
    expect(ana.get_by_test_id("save-state")).to_contain_text("пазят в този браузър")
    type_at_end(ana, "Без връзка.")
    type_at_end(other, "От Борис.")
    expect(other.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    ana.wait_for_timeout(500)  # IndexedDB writes each update in its own transaction
    assert "Без връзка." not in text_of(other)
    ana.close()

    context.set_offline(False)
    again = context.new_page()
    again.goto(s.path)
    again.wait_for_function(
        "() => document.querySelector('[data-testid=save-state]')?.dataset.state === 'saved'"
    )
    merged = "Начало.\n"
    for page in (again, other):
        page.wait_for_function(
            """() => { const t = document.querySelector('.editor-host')?.shadowRoot
                 ?.querySelector('.cm-content')?.textContent ?? '';
                 return t.includes('Без връзка.') && t.includes('От Борис.'); }"""
        )
    merged = text_of(again)
    assert merged.startswith("Начало.\n")
    wait_text(other, merged)
    document = s.owner_api.ok("GET", f"/documents/{s.proposal['document']}")
    assert document["content"]["content"] == merged
