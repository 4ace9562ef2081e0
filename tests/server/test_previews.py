"""Link previews without JavaScript: the page `veche serve` answers for a consultation, its
report, an organisation and a public room's decision record carries Open Graph and
Twitter-card tags in its head, escaped, in the language of `Accept-Language`; private rooms,
unpublished reports and unknown ids get the plain page; the Content-Security-Policy stays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from pycrdt import Text

from client import DocumentClient
from server.consultations.commands import (
    CommentResponse,
    NewConsultation,
    NewConsultationComment,
)
from server.decisions.commands import Ballot, NewPoll, NewProposal
from server.directory.commands import OrganisationValues
from server.http.web import CSP
from server.settings import Settings
from storage.models import utc_now
from storage.proposals import StoredProposal
from tests.support.rooms import People, make_people, make_room, services_of
from tests.support.server import RunningServer, serve_in_process

PAGE = """<!doctype html>
<html lang="bg">
  <head>
    <meta charset="utf-8">
    <title>Вече</title>
    <script type="module" src="/assets/app-ABC.js"></script>
  </head>
  <body><main id="app"></main></body>
</html>
"""
HOSTILE = 'Наредба за „таксите“ <script>alert(1)</script> & "кавички"'
TEXT = "Член 1. Общината събира такса за <b>смет</b>.\nЧлен 2. Таксата е 5 лева."


class Head(HTMLParser):
    """The page's <title> and its meta tags (name or property → content), as a browser or a
    crawler reads them: entities decoded, so an escaped value reads back as it was."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.titles: list[str] = []
        self.scripts = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (key := values.get("property") or values.get("name")):
            self.meta[key] = values.get("content") or ""
        self._in_title = tag == "title"
        self.scripts += tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles.append(data)


def head_of(answer: httpx.Response) -> Head:
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CSP
    parsed = Head()
    parsed.feed(answer.text)
    assert parsed.scripts == 1  # the app's module script, and nothing else
    assert len(parsed.titles) == 1
    return parsed


@dataclass
class Scene:
    http: httpx.AsyncClient
    consultation: int
    reported: int
    organisation: str
    public_room: str
    private_room: str


@pytest.fixture
async def scene(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Scene]:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text(PAGE, encoding="utf-8")
    settings = Settings(database_url=sqlite_url, web_dir=str(tmp_path / "dist"))
    async with (
        serve_in_process(settings) as server,
        httpx.AsyncClient(base_url=server.http) as http,
    ):
        yield await _made(server, http)


async def _made(server: RunningServer, http: httpx.AsyncClient) -> Scene:
    services = services_of(server)
    people = await make_people(services)
    public = await make_room(services, people, "obshtina", visibility="public")
    private = await make_room(services, people, "tayna", visibility="private")
    proposals, consultations = services.decisions.proposals, services.consultations

    # a consultation with a text, open; another one answered and reported
    open_one = await proposals.create(public, NewProposal(title=HOSTILE), None)
    await _write(server, people, open_one)
    closes = utc_now() + timedelta(days=60)  # still open when the other one's deadline passes
    opened = await consultations.open(public, open_one, NewConsultation(closes_at=closes), None)
    second = await proposals.create(private, NewProposal(title="Правилник"), None)
    await _write(server, people, second)
    reported = await consultations.open(private, second, NewConsultation(), None)
    comment = NewConsultationComment(start=0, end=7, body="Ясно ли е?")
    placed = await consultations.comment(people.users["outsider"], reported, comment, None)
    consultations.clock = lambda: utc_now() + timedelta(days=32)
    await consultations.close_due()
    reported = await consultations.get(reported.id)
    answer = CommentResponse(response="accepted", reason="Да.")
    await consultations.respond(private, reported, placed.comment.id, answer, None)
    await consultations.publish(private, reported, None)

    # a verified organisation
    admin = await services.accounts.store.create_user(
        "admin",
        display_name="Admin",
        locale="bg",
        password_hash=None,
        is_admin=True,
        created_at=utc_now(),
    )
    values = OrganisationValues(
        name="Сдружение „Зелен Пловдив“",
        kind="ngo",
        municipality="PDV22",
        sectors=["environment"],
        description="Паркове, дървета и чист въздух за града.",
    )
    organisation = await services.directory.create(people.users["participant"], values, None)
    await services.directory.verify(admin, organisation, True, None)

    # a closed vote in each room: a decision record
    for view in (public, private):
        poll = await services.decisions.votes.open_poll(
            view, NewPoll(title="Нов час на сесиите", method="yes_no_abstain"), None
        )
        await services.decisions.ballots.cast(view, poll.id, Ballot(choice="yes"))
        await services.decisions.closer.close(view, poll.id, None)
    return Scene(http, opened.id, reported.id, organisation.slug, "obshtina", "tayna")


async def _write(server: RunningServer, people: People, proposal: StoredProposal) -> None:
    """The proposal's text, written as an editor would (the owner's token)."""
    name = await services_of(server).decisions.context.proposals.document_name(proposal)
    async with DocumentClient(server.yjs, name, token=people.tokens["owner"]) as client:
        client.doc.get("content", type=Text).insert(0, TEXT)
        await client.wait_saved()


async def test_a_consultation_is_previewed_escaped_in_the_readers_language(
    scene: Scene,
) -> None:
    path = f"/consultations/{scene.consultation}"
    head = head_of(await scene.http.get(path))
    title = f"Обществена консултация: {HOSTILE}"
    assert head.meta["og:title"] == title
    assert head.titles == [f"{title} · Вече"]
    assert head.meta["og:type"] == "article"
    assert head.meta["og:site_name"] == "Вече"
    assert head.meta["og:locale"] == "bg_BG"
    assert head.meta["og:url"] == str(scene.http.base_url.join(path))
    assert head.meta["twitter:card"] == "summary"
    description = head.meta["og:description"]
    assert description.startswith("Отворена за коментари до ")
    assert "Член 1. Общината събира такса за <b>смет</b>. Член 2." in description
    # nothing the author wrote became markup: the raw answer holds it only escaped
    raw = (await scene.http.get(path)).text
    assert "<script>alert(1)</script>" not in raw
    assert "<b>смет</b>" not in raw

    english = head_of(await scene.http.get(path, headers={"Accept-Language": "en-GB,en"}))
    assert english.meta["og:title"] == f"Public consultation: {HOSTILE}"
    assert english.meta["og:description"].startswith("Open for comments until ")
    assert english.meta["og:locale"] == "en_GB"
    assert english.meta["og:site_name"] == "Veche"


async def test_a_published_report_is_previewed_with_its_counts(scene: Scene) -> None:
    head = head_of(await scene.http.get(f"/consultations/{scene.reported}/report"))
    assert head.meta["og:title"] == "Справка за обществената консултация: Правилник"
    assert head.meta["og:description"] == "1 коментар: 1 приети, 0 частично приети, 0 неприети."
    page = head_of(await scene.http.get(f"/consultations/{scene.reported}"))
    assert page.meta["og:description"].startswith("Приключила; справката е публикувана на ")
    # the consultation of a private room is public; its report is not written yet elsewhere
    unpublished = head_of(await scene.http.get(f"/consultations/{scene.consultation}/report"))
    assert "og:title" not in unpublished.meta
    assert unpublished.titles == ["Вече"]


async def test_an_organisation_is_previewed_with_its_kind_place_and_sectors(
    scene: Scene,
) -> None:
    head = head_of(await scene.http.get(f"/directory/{scene.organisation}"))
    assert head.meta["og:title"] == "Сдружение „Зелен Пловдив“"
    assert head.meta["og:type"] == "website"
    assert head.meta["og:description"] == (
        "неправителствена организация · Пловдив · проверена · околна среда. "
        "Паркове, дървета и чист въздух за града"
    )
    english = head_of(
        await scene.http.get(f"/directory/{scene.organisation}", headers={"Accept-Language": "en"})
    )
    assert english.meta["og:description"].startswith(
        "non-governmental organisation · Plovdiv · verified · environment."
    )


async def test_only_records_of_public_rooms_are_previewed(scene: Scene) -> None:
    public = head_of(await scene.http.get(f"/rooms/{scene.public_room}/decisions/1"))
    assert public.meta["og:title"] == "Решение: Нов час на сесиите"
    assert public.meta["og:description"].startswith("Решение 1 на „")
    assert ": прието. Гласували: 1 от " in public.meta["og:description"]
    # the private room's record (and its consultation report, record 1 there) say nothing
    for position in (1, 2):
        hidden = head_of(await scene.http.get(f"/rooms/{scene.private_room}/decisions/{position}"))
        assert hidden.meta == {}
        assert hidden.titles == ["Вече"]


@pytest.mark.parametrize(
    "path",
    [
        "/consultations",
        "/consultations/999",
        "/consultations/0",
        "/consultations/abc/report",
        "/directory",
        "/directory/nobody-here",
        "/rooms/nowhere/decisions/1",
        "/rooms/obshtina/decisions/99",
        "/rooms/obshtina",
    ],
)
async def test_other_and_unknown_paths_get_the_plain_page(scene: Scene, path: str) -> None:
    head = head_of(await scene.http.get(path))
    assert head.meta == {}
    assert head.titles == ["Вече"]
