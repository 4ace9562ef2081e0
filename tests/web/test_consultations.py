"""Public consultations in the browser: the owner opens one from the proposal page (the server
refuses under 14 days and says why), an anonymous visitor reads it with its countdown, a
signed-in representative selects a passage (after a character that takes two UTF-16 units)
and comments for an organisation, then on typed words; the owner answers every comment and
publishes; the report page shows the counts and the hash the server stored, and the report's
record in the room's chain checks. Comments follow edits of the text, and those whose passage
was deleted are listed apart."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from pycrdt import Text

from client import DocumentClient
from tests.support.web import WebApp, run_async, unique
from tests.web.conftest import OpenPage
from tests.web.consultation_pages import (
    TEXT,
    close,
    opened,
    organisation,
    proposal_with_text,
    select_words,
)
from tests.web.decision_pages import patient_expect

_patient_expect = patient_expect


def test_a_consultation_from_the_proposal_page_to_its_report(
    web_app: WebApp, open_page: OpenPage
) -> None:
    title = f"Наредба за таксите {unique('')}"  # other tests' consultations are listed too
    owner, slug, proposal = proposal_with_text(web_app, title)
    page = open_page(owner)
    page.goto(f"/rooms/{slug}/proposals/{proposal['id']}")
    page.get_by_test_id("open-consultation").click()
    form = page.get_by_test_id("consultation-form")
    day = form.locator("input[name=closes_on]")
    day.fill((date.today() + timedelta(days=10)).isoformat())
    form.locator("button[type=submit]").click()
    # the server's rule, in its words
    expect(form.get_by_test_id("consultation-error")).to_contain_text("най-малко 14 дни")
    day.fill((date.today() + timedelta(days=20)).isoformat())
    expect(form.get_by_test_id("consultation-days")).to_contain_text("20 дни от днес")
    form.locator("textarea[name=reason]").fill("Законът влиза в сила на 1 януари.")
    form.locator("select[name=oblast]").select_option("SML")
    form.get_by_label("добро управление и прозрачност").check()
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/consultations/\d+$"))
    consultation_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("consultation-state")).to_have_text("открита")
    expect(page.get_by_test_id("consultation-reason")).to_have_text(
        "Законът влиза в сила на 1 януари."
    )
    expect(page.get_by_test_id("consultation-region")).to_have_text("Смолян")

    # anyone reads it, with the time left; the room is private
    visitor = open_page()
    visitor.get_by_test_id("nav-consultations").click()
    visitor.get_by_role("link", name=title, exact=True).click()
    expect(visitor).to_have_url(re.compile(rf"/consultations/{consultation_id}$"))
    expect(visitor.get_by_test_id("countdown")).to_have_text(
        re.compile(r"До края: (19|20) дни, \d+ часа? и \d+ минут[аи]|До края: (19|20) дни")
    )
    expect(visitor.get_by_test_id("countdown")).to_have_attribute("data-open", "true")
    expect(visitor.get_by_test_id("consultation-text")).to_contain_text("Член 2. Таксата е 5 лева")
    expect(visitor.get_by_test_id("sign-in-to-comment")).to_be_visible()
    expect(visitor.get_by_test_id("comment-selection")).to_have_count(0)

    # a representative comments for an organisation on a selected passage
    boris = web_app.create_user(unique("boris"), display_name="Борис Иванов")
    org = organisation(
        web_app, boris, {"name": f"Сдружение Данъкоплатци {unique('')}", "kind": "ngo"}
    )
    reader = open_page(boris)
    reader.goto(f"/consultations/{consultation_id}")
    select_words(reader, "consultation-text", "Таксата е 5 лева")
    expect(reader.get_by_test_id("selection-hint")).to_contain_text("Таксата е 5 лева")
    reader.get_by_test_id("comment-selection").click()
    draft = reader.get_by_test_id("comment-form")
    expect(draft.get_by_test_id("draft-quote")).to_have_text("Таксата е 5 лева")
    draft.locator("textarea[name=body]").fill("5 лева са много за малките села.")
    draft.get_by_test_id("comment-as").select_option(org["slug"])
    draft.locator("button[type=submit]").click()
    card = reader.get_by_test_id("consultation-comment")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("comment-organisation")).to_have_text(org["name"])
    expect(reader.locator("mark.passage")).to_have_text("Таксата е 5 лева")
    # and one for himself, typing the words of the passage (no mouse needed)
    reader.get_by_test_id("comment-selection").click()
    typed = reader.get_by_test_id("comment-form")
    typed.locator("textarea[name=passage]").fill("битови отпадъци")
    typed.locator("textarea[name=body]").fill("Кой ги извозва?")
    typed.locator("button[type=submit]").click()
    expect(reader.get_by_test_id("consultation-comment")).to_have_count(2)
    # the server got code points: the passage is the words, not shifted by the 🌳
    stored = web_app.api(owner).ok("GET", f"/consultations/{consultation_id}/comments")
    assert sorted(c["quote"] for c in stored["comments"]) == ["Таксата е 5 лева", "битови отпадъци"]

    # the deadline passes; the owner answers each comment and publishes
    close(web_app, consultation_id)
    page.reload()
    expect(page.get_by_test_id("countdown")).to_have_text("Консултацията е приключила")
    page.get_by_test_id("publish-report").click()
    expect(page.get_by_test_id("publish-error")).to_contain_text("без отговор")
    expect(page.locator(".comment-unanswered")).to_have_count(2)
    answers = [("accepted", "Ще намалим таксата."), ("not_accepted", "Извозва ги общината.")]
    for response, reason in answers:
        answer = page.get_by_test_id("response-form").first
        answer.locator(f"input[value={response}]").check()
        answer.locator("textarea[name=reason]").fill(reason)
        answer.locator("button[type=submit]").click()
        expect(
            page.locator(f"[data-testid=comment-response][data-response={response}]")
        ).to_have_count(1)
    expect(page.get_by_test_id("answered")).to_contain_text("С отговор: 2 от 2")
    page.get_by_test_id("publish-report").click()
    expect(page.get_by_test_id("consultation-state")).to_have_text("със справка")
    page.get_by_test_id("report-link").click()

    report = web_app.api(owner).ok("GET", f"/consultations/{consultation_id}/report")
    expect(page.get_by_test_id("report-hash")).to_have_text(report["sha256"])
    counts = page.get_by_test_id("report-counts")
    for key, value in {"comments": 2, "accepted": 1, "not_accepted": 1, "organisations": 1}.items():
        expect(counts.locator(f"[data-count={key}]")).to_have_text(str(value))
    expect(page.get_by_test_id("report-passage")).to_have_count(2)  # in the text's order
    expect(page.get_by_test_id("report-passage").first).to_contain_text("битови отпадъци")
    expect(page.get_by_test_id("report-csv")).to_have_attribute(
        "href", f"/api/v1/consultations/{consultation_id}/report?format=csv"
    )

    # the report is a record of the room's chain, which the record page checks
    page.get_by_role("link", name="запис № 1").click()
    expect(page.get_by_test_id("record")).to_contain_text(f"Справка: {title}")
    expect(page.get_by_test_id("record-check")).to_have_attribute("data-result", "match")
    expect(page.get_by_test_id("text-check")).to_have_attribute("data-result", "match")
    expect(page.get_by_test_id("chain")).to_have_attribute("data-intact", "true")
    # and the proposal page links to its consultation
    page.goto(f"/rooms/{slug}/proposals/{proposal['id']}")
    expect(page.get_by_test_id("consultation-link")).to_have_text(
        "Обществената консултация и справката"
    )
    expect(page.get_by_test_id("open-consultation")).to_have_count(0)
    page.goto(f"/rooms/{slug}")  # the overview lists the report among the decisions
    expect(page.get_by_test_id("record-item")).to_contain_text(f"Справка: {title}")


def test_comments_follow_edits_and_those_on_deleted_passages_are_listed_apart(
    web_app: WebApp, open_page: OpenPage
) -> None:
    c = opened(web_app)
    c.comment(c.owner, "Член 3.", "Отделен член?")
    c.comment(c.owner, "Таксата е 5 лева", "Много е.")
    # the text is edited during the consultation: a preamble added, the third article removed
    last = TEXT[TEXT.index("\nЧлен 3.") :]
    edit_text(web_app, c.api().token, c.proposal["document"], "Преамбюл. ", last)
    page = open_page()
    page.goto(c.path)
    expect(page.get_by_test_id("consultation-text")).to_contain_text("Преамбюл. Наредба")
    expect(page.locator("mark.passage")).to_have_text(["Таксата е 5 лева"])
    expect(page.get_by_test_id("consultation-comments")).to_contain_text("Много е.")
    gone = page.get_by_test_id("gone-comments")
    expect(gone).to_contain_text("Отделен член?")
    expect(gone.locator("s")).to_have_text("Член 3.")
    page.locator("mark.passage").click()
    expect(page.locator(".comment-active")).to_contain_text("Много е.")
    expect(page.locator("mark.passage-active")).to_have_count(1)


def edit_text(web_app: WebApp, token: str, document: str, prefix: str, suffix: str) -> None:
    """Inserts `prefix` at the start of the text and deletes `suffix` from its end (pycrdt
    counts the text's length in UTF-8 bytes)."""

    async def work() -> None:
        async with DocumentClient(web_app.yjs, document, token=token) as client:
            text = client.doc.get("content", type=Text)
            text.insert(0, prefix)
            end = len(text)
            del text[end - len(suffix.encode()) : end]
            await client.wait_saved()

    run_async(work())
