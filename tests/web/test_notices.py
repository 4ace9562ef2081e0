"""Notices in the browser: a signed-in person sets the address notices go to, follows an
oblast and a sector and stops one, registers a webhook (its secret shown once), gives it a
new secret and disables it; the feeds are linked for everyone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.web import WebApp, unique
from tests.web.conftest import OpenPage


def test_address_subscriptions_and_a_webhook(web_app: WebApp, open_page: OpenPage) -> None:
    name = unique("vera")
    web_app.create_user(name)
    page = open_page(name)
    page.get_by_test_id("nav-notices").click()

    address = page.get_by_test_id("address")
    address.locator("input[name=email]").fill("vera@mail.test")
    address.locator("button[type=submit]").click()
    expect(page.get_by_text("Адресът е запазен.")).to_be_visible()

    follow = page.get_by_test_id("follow")
    follow.locator("select[name=kind]").select_option("region")
    follow.locator("select[name=target]").select_option("SML")
    follow.locator("button[type=submit]").click()
    subscriptions = page.get_by_test_id("subscription")
    expect(subscriptions).to_have_count(1)
    follow.locator("select[name=kind]").select_option("sector")
    follow.locator("select[name=target]").select_option("governance")
    follow.locator("button[type=submit]").click()
    expect(subscriptions).to_have_count(2)
    expect(subscriptions.nth(0)).to_contain_text("Област: Смолян")
    expect(subscriptions.nth(1)).to_contain_text("Сектор: добро управление и прозрачност")
    subscriptions.nth(0).get_by_role("button").click()
    expect(subscriptions).to_have_count(1)
    expect(subscriptions.nth(0)).to_contain_text("Сектор")

    # loopback, a port nobody listens on: nothing leaves this machine
    webhook = page.get_by_test_id("webhook")
    webhook.locator("input[name=url]").fill("https://127.0.0.1:9/veche")
    webhook.locator("input[value='decision.recorded']").check()
    webhook.locator("button[type=submit]").click()
    secret = page.get_by_test_id("webhook-secret")
    expect(secret).to_have_value(re.compile(r"^whsec_"))
    first = secret.input_value()
    endpoint = page.get_by_test_id("endpoint")
    expect(endpoint).to_contain_text("decision.recorded")
    endpoint.get_by_role("button", name="Нов ключ").click()
    expect(secret).not_to_have_value(first)
    endpoint.get_by_role("button", name="Изключи").click()
    expect(endpoint).to_contain_text("изключена")

    settings = web_app.api(name).ok("GET", "/me/notices")
    assert settings["email"] == "vera@mail.test"
    assert [(s["kind"], s["target"]) for s in settings["subscriptions"]] == [
        ("sector", "governance")
    ]
    [hook] = web_app.api(name).ok("GET", "/me/webhooks")["endpoints"]
    assert hook["disabled_at"] is not None


def test_the_feeds_are_linked_for_everyone(web_app: WebApp, open_page: OpenPage) -> None:
    page = open_page(locale="en")
    page.goto("/notices")
    links = page.get_by_test_id("feed")
    expect(links).to_have_count(2)
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(2)]
    assert hrefs == [f"{web_app.url}/feeds/consultations.atom", f"{web_app.url}/feeds/calendar.ics"]
