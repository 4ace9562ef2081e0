"""Helpers of the consultation and directory browser tests: a proposal with a text, its
consultation opened and closed without waiting for the deadline, organisations, and a passage
selected in the page as a person's mouse would select it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page
from sqlalchemy import update

from storage.consultation_models import ConsultationRecord
from storage.database import Database
from storage.models import utc_now
from tests.support.web import Api, WebApp, run_async, unique
from tests.web.decision_pages import write_body

# a character outside the Basic Multilingual Plane before the passages: two UTF-16 units in
# the browser, one code point for the API
TEXT = (
    "Наредба за местните такси 🌳\n\n"
    "Член 1. Общината събира такса за битови отпадъци.\n"
    "Член 2. Таксата е 5 лева на месец.\n"
    "Член 3. Наредбата влиза в сила от 1 януари."
)


@dataclass
class Consultation:
    web_app: WebApp
    owner: str
    slug: str
    proposal: dict[str, Any]
    id: int

    def api(self, name: str | None = None) -> Api:
        return self.web_app.api(name or self.owner)

    @property
    def path(self) -> str:
        return f"/consultations/{self.id}"

    def comment(self, name: str, words: str, body: str, organisation: str | None = None) -> Any:
        """A comment on the first occurrence of `words` (offsets in code points)."""
        start = len(TEXT[: TEXT.index(words)])
        comment = {"start": start, "end": start + len(words), "body": body}
        if organisation:
            comment["organisation"] = organisation
        return self.api(name).ok("POST", f"{self.path}/comments", comment)

    def close(self) -> None:
        close(self.web_app, self.id)


def proposal_with_text(web_app: WebApp, title: str = "Наредба за таксите") -> tuple[str, str, Any]:
    """A private room of a new owner (Ана Петрова) with a proposal whose text is TEXT."""
    owner = web_app.create_user(unique("owner"), display_name="Ана Петрова")
    api = web_app.api(owner)
    slug = api.room(f"Община {unique('')}")["slug"]
    proposal = api.ok("POST", f"/rooms/{slug}/proposals", {"title": title})
    write_body(web_app, api.token, proposal["document"], TEXT)
    return owner, slug, proposal


def opened(web_app: WebApp, **terms: Any) -> Consultation:
    """A consultation opened through the API (30 days unless told)."""
    owner, slug, proposal = proposal_with_text(web_app)
    path = f"/rooms/{slug}/proposals/{proposal['id']}/consultation"
    found = web_app.api(owner).ok("POST", path, terms)
    return Consultation(web_app, owner, slug, proposal, int(found["id"]))


def close(web_app: WebApp, consultation_id: int) -> None:
    """The deadline reached at once: the row as the server's closing leaves it (the tests do
    not wait days, nor the server's periodic check)."""

    async def work() -> None:
        now = utc_now()
        async with (
            Database(web_app.database_url) as database,
            database.sessionmaker() as session,
            session.begin(),
        ):
            await session.execute(
                update(ConsultationRecord)
                .where(ConsultationRecord.id == consultation_id)
                .values(state="closed", closes_at=now - timedelta(minutes=1), closed_at=now)
            )

    run_async(work())


def organisation(web_app: WebApp, name: str, values: dict[str, Any]) -> Any:
    """An organisation added by `name`, its first representative."""
    return web_app.api(name).ok("POST", "/directory/organisations", values)


def select_words(page: Page, test_id: str, words: str) -> None:
    """Selects the first occurrence of `words` in the element, across the marks inside it, as
    a drag of the mouse would (a DOM selection; the page hears `selectionchange`)."""
    page.get_by_test_id(test_id).evaluate(
        """(element, words) => {
          const at = element.textContent.indexOf(words);
          if (at < 0) throw new Error(`not in the text: ${words}`);
          const point = (unit) => {
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            let seen = 0;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              if (unit <= seen + node.data.length) return [node, unit - seen];
              seen += node.data.length;
            }
            throw new Error("past the end");
          };
          const range = document.createRange();
          range.setStart(...point(at));
          range.setEnd(...point(at + words.length));
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }""",
        words,
    )
