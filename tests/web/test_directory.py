"""The directory in the browser: a search typed in Latin finds Cyrillic names, the filters
narrow it (the municipalities follow the oblast), the export link carries them, and a profile
shows its representatives and the verified badge; a signed-in person adds an organisation,
another asks to represent it and is confirmed, a representative changes it; an administrator
verifies it and imports a CSV file after a dry run that reports the bad rows."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.support.web import WebApp, unique
from tests.web.conftest import OpenPage
from tests.web.consultation_pages import organisation
from tests.web.decision_pages import patient_expect

_patient_expect = patient_expect


def test_search_in_latin_filters_and_a_profile_with_representatives(
    web_app: WebApp, open_page: OpenPage
) -> None:
    tag = unique("t") + "q"  # a word only this test's organisations have (no prefix of another)
    maria = web_app.create_user(unique("maria"), display_name="Мария Георгиева")
    admin = web_app.create_user(unique("admin"), admin=True)
    green = organisation(
        web_app,
        maria,
        {
            "name": f"Сдружение „Зелен Пловдив“ {tag}",
            "kind": "ngo",
            "municipality": "PDV22",
            "sectors": ["environment"],
        },
    )
    organisation(
        web_app,
        maria,
        {"name": f"Пловдивска търговска камара {tag}", "kind": "chamber", "oblast": "PDV"},
    )
    organisation(
        web_app, maria, {"name": f"Читалище „Родина“ {tag}", "kind": "ngo", "municipality": "SML31"}
    )
    web_app.api(admin).ok(
        "PUT", f"/directory/organisations/{green['slug']}/verification", {"verified": True}
    )

    page = open_page()
    page.get_by_test_id("nav-directory").click()
    page.get_by_test_id("directory-query").fill(f"plov {tag}")
    links = page.get_by_test_id("organisation-link")
    expect(links).to_have_text(
        [f"Пловдивска търговска камара {tag}", f"Сдружение „Зелен Пловдив“ {tag}"]
    )
    expect(page.get_by_test_id("directory-total")).to_have_text("Намерени са 2 организации.")
    # the filters narrow it; the municipalities are those of the oblast chosen
    expect(page.get_by_test_id("filter-municipality")).to_be_disabled()
    page.get_by_test_id("filter-oblast").select_option("PDV")
    page.get_by_test_id("filter-municipality").select_option("PDV22")
    expect(links).to_have_text([f"Сдружение „Зелен Пловдив“ {tag}"])
    page.get_by_test_id("filter-municipality").select_option("")
    page.get_by_test_id("filter-kind").select_option("chamber")
    expect(links).to_have_text([f"Пловдивска търговска камара {tag}"])
    page.get_by_test_id("filter-kind").select_option("")
    page.get_by_test_id("filter-verified").select_option("true")
    expect(links).to_have_text([f"Сдружение „Зелен Пловдив“ {tag}"])
    href = page.get_by_test_id("export-link").get_attribute("href") or ""
    assert urlsplit(href).path == "/api/v1/directory/export"
    assert parse_qs(urlsplit(href).query) == {
        "q": [f"plov {tag}"],
        "oblast": ["PDV"],
        "verified": ["true"],
    }
    # the query is in the address: a reload shows the same
    page.reload()
    expect(page.get_by_test_id("directory-query")).to_have_value(f"plov {tag}")
    expect(links).to_have_text([f"Сдружение „Зелен Пловдив“ {tag}"])

    # the profile: the representative and the badge
    links.first.click()
    expect(page).to_have_url(re.compile(rf"/directory/{green['slug']}$"))
    expect(page.get_by_test_id("verified-badge")).to_be_visible()
    expect(page.get_by_test_id("organisation-place")).to_have_text("Пловдив, област Пловдив")
    expect(page.get_by_test_id("representative")).to_contain_text("Мария Георгиева")
    # English: the Latin names
    page.get_by_test_id("language").select_option("en")
    expect(page.get_by_test_id("organisation-place")).to_have_text("Plovdiv, Plovdiv oblast")
    expect(page.get_by_test_id("organisation-kind")).to_have_text("non-governmental organisation")


def test_add_ask_confirm_verify_and_import(web_app: WebApp, open_page: OpenPage) -> None:
    tag = unique("n") + "q"
    founder = web_app.create_user(unique("founder"), display_name="Петър Стоянов")
    page = open_page(founder)
    page.goto("/directory")
    page.get_by_test_id("add-organisation").click()
    form = page.get_by_test_id("organisation-form")
    form.locator("input[name=name]").fill(f"Младежки съвет {tag}")
    form.locator("select[name=kind]").select_option("citizen_group")
    form.locator("select[name=oblast]").select_option("SML")
    form.locator("select[name=municipality]").select_option("SML31")
    form.get_by_label("младежта").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(f"Младежки съвет {tag}")
    expect(page.get_by_test_id("representative")).to_contain_text("Петър Стоянов")
    slug = page.url.rsplit("/", 1)[1]

    # someone asks to represent it; the founder confirms
    helper = web_app.create_user(unique("helper"), display_name="Вера Колева")
    asking = open_page(helper)
    asking.goto(f"/directory/{slug}")
    asking.get_by_test_id("ask-to-represent").click()
    expect(asking.get_by_test_id("request-pending")).to_be_visible()
    page.reload()
    requests = page.get_by_test_id("requests")
    expect(requests).to_contain_text("Вера Колева")
    requests.get_by_test_id("confirm-representative").click()
    expect(page.get_by_test_id("representatives").get_by_test_id("representative")).to_have_count(2)
    # a representative changes it
    page.get_by_test_id("edit-organisation").click()
    edit = page.get_by_test_id("organisation-form")
    edit.locator("textarea[name=description]").fill("Младежки дейности в Смолян.")
    edit.locator("input[name=website]").fill("https://mladezhi.example")
    edit.locator("button[type=submit]").click()
    expect(page.locator(".organisation-description")).to_have_text("Младежки дейности в Смолян.")
    expect(page.get_by_role("link", name="https://mladezhi.example")).to_have_attribute(
        "rel", "noopener nofollow ugc"
    )

    # an administrator verifies it, and imports a file: the dry run shows the bad row first
    admin = web_app.create_user(unique("admin"), admin=True)
    admin_page = open_page(admin)
    admin_page.goto(f"/directory/{slug}")
    admin_page.get_by_test_id("verify").click()
    expect(admin_page.get_by_test_id("verified-badge")).to_be_visible()
    admin_page.goto("/directory")
    importer = admin_page.get_by_test_id("import")
    bad = (
        "name,kind,oblast,municipality\n"
        f"Читалище Светлина {tag},ngo,Смолян,Смолян\n"
        f"Атлантида {tag},ngo,Смолян,Атлантида\n"
    )
    importer.locator("textarea[name=csv]").fill(bad)
    importer.get_by_test_id("import-check").click()
    report = importer.get_by_test_id("import-report")
    expect(report).to_have_attribute("data-valid", "false")
    expect(importer.locator("[data-line='3']")).to_contain_text("Атлантида")
    expect(importer.get_by_test_id("import-confirm")).to_have_count(0)
    importer.locator("textarea[name=csv]").fill(bad.rsplit("\n", 2)[0] + "\n")
    importer.get_by_test_id("import-check").click()
    expect(report).to_have_attribute("data-valid", "true")
    importer.get_by_test_id("import-confirm").click()
    expect(importer.get_by_test_id("import-created").get_by_role("link")).to_have_count(1)
    admin_page.get_by_test_id("directory-query").fill(f"chitalishte {tag}")
    expect(admin_page.get_by_test_id("organisation-link")).to_have_text(
        [f"Читалище Светлина {tag}"]
    )
