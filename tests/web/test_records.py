"""Decision records in the browser: the record's fields and hash, the text voted on rendered as
sanitised Markdown, the browser's own SHA-256 of that text against the recorded one, and the
server's check of the room's chain — intact, then broken after a record is tampered with."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from storage.database import Database
from storage.decision_models import DecisionRecord
from storage.models import RoomRecord
from tests.support.web import WebApp, axe_problems, run_async
from tests.web.conftest import OpenPage
from tests.web.decision_pages import Room, patient_expect, room

_patient_expect = patient_expect

BODY = (
    "# Правилник\n\nЧл. 1. Срокът е **30 дни**.\n\n"
    "<img src=x onerror=\"document.title='хакнато'\"><script>alert(1)</script>\n"
)


def test_a_record_shows_its_hash_checks_its_text_and_the_chain(
    web_app: WebApp, open_page: OpenPage
) -> None:
    r = room(web_app)
    record = r.decided_proposal("Правилник за залата", BODY, {r.voters[0]: "yes", r.owner: "no"})
    listing = r.api().ok("GET", f"/rooms/{r.slug}/decisions")["decisions"]
    digest = listing[-1]["sha256"]

    page = open_page(r.voters[1])
    page.goto(f"/rooms/{r.slug}/decisions/{record['position']}")
    expect(page.get_by_test_id("record")).to_contain_text("Правилник за залата")
    expect(page.get_by_test_id("record-hash")).to_have_text(digest)
    expect(page.get_by_test_id("record-outcome")).to_have_attribute("data-outcome", "rejected")
    # the text, rendered: Markdown formatting kept, the image and the script removed
    voted = page.get_by_test_id("voted-text")
    expect(voted.locator("strong")).to_have_text("30 дни")
    expect(voted.locator("h1")).to_have_text("Правилник")
    assert voted.locator("img, script").count() == 0
    assert page.title() != "хакнато"
    # the browser's SHA-256 of the text is the recorded one, which is the text's real hash
    assert record["proposal"]["text_sha256"] == hashlib.sha256(BODY.encode()).hexdigest()
    expect(page.get_by_test_id("text-check")).to_have_attribute("data-result", "match")
    expect(page.get_by_test_id("record-check")).to_have_attribute("data-result", "match")
    expect(page.get_by_test_id("chain")).to_have_attribute("data-intact", "true")
    expect(page.get_by_test_id("chain")).to_contain_text("1 решение")
    # named ballots are listed with each voter's choice
    expect(page.get_by_test_id("record-ballots")).to_contain_text("Против")
    expect(page.get_by_test_id("tally")).to_contain_text("Гласували: 2 от 3")

    # the record is changed behind the server's back (rejected → adopted): the browser's hash
    # of what is served no longer matches, and the chain check says where it breaks
    tamper(web_app, r, record["position"])
    page.reload()
    expect(page.get_by_test_id("record-outcome")).to_have_attribute("data-outcome", "adopted")
    expect(page.get_by_test_id("record-check")).to_have_attribute("data-result", "mismatch")
    expect(page.get_by_test_id("chain")).to_have_attribute("data-intact", "false")
    expect(page.get_by_test_id("chain")).to_contain_text(f"№ {record['position']}")


def test_the_browser_recomputes_the_hash_of_a_record_with_awkward_names(
    web_app: WebApp, open_page: OpenPage
) -> None:
    """Quotes, backslashes, markup, a line break, and option names whose order by code point
    (Python's, the server's) differs from their order by UTF-16 unit (JavaScript's default)."""
    r = room(web_app, voters=1)
    options = [
        'Ана "А"',
        "\\път\\",
        "<b>Б</b>",
        "\uff21 широко",
        "\U0001d400 математическо",
        "ред\nнов",
    ]
    poll = r.poll("Оценки: „странни“ имена", "score", options, rules={"quorum": {"share": "1/2"}})
    r.cast(r.voters[0], poll["id"], {options[3]: 5, options[4]: 2, options[0]: 1})
    record = r.close(poll["id"])
    page = open_page(r.owner)
    page.goto(f"/rooms/{r.slug}/decisions/{record['position']}")
    expect(page.get_by_test_id("record-check")).to_have_attribute("data-result", "match")
    expect(page.get_by_test_id("chain")).to_have_attribute("data-intact", "true")
    expect(page.get_by_test_id("tally-scores")).to_contain_text("<b>Б</b>")


def tamper(web_app: WebApp, r: Room, position: int) -> None:
    async def work() -> None:
        async with (
            Database(web_app.database_url) as database,
            database.sessionmaker() as session,
            session.begin(),
        ):
            await session.execute(
                update(DecisionRecord)
                .where(
                    DecisionRecord.room_id
                    == select(RoomRecord.id).where(RoomRecord.slug == r.slug).scalar_subquery(),
                    DecisionRecord.position == position,
                )
                .values(
                    record_json=func.replace(
                        DecisionRecord.record_json, '"outcome":"rejected"', '"outcome":"adopted"'
                    )
                )
            )

    run_async(work())


@pytest.fixture(scope="module")
def decided(web_app: WebApp) -> tuple[Room, int]:
    r = room(web_app, voters=1)
    record = r.decided_proposal("Бюджет", "Разходи: **100 лв.**\n", {r.voters[0]: "yes"})
    return r, int(record["position"])


@pytest.mark.parametrize(
    ("locale", "width"), [("bg", 1280), ("en", 1280), ("bg", 375), ("en", 375)]
)
def test_the_record_screen_is_accessible(
    open_page: OpenPage, decided: tuple[Room, int], locale: str, width: int
) -> None:
    r, position = decided
    page = open_page(r.owner, locale=locale, width=width)
    page.goto(f"/rooms/{r.slug}/decisions/{position}")
    expect(page.get_by_test_id("chain")).to_have_attribute("data-intact", "true")
    expect(page.get_by_test_id("text-check")).to_have_attribute("data-result", "match")
    assert axe_problems(page) == []
