"""Notices end to end, on SQLite and PostgreSQL: people subscribe by oblast, sector, room and
organisation; a consultation opened in Smolyan for good governance is announced once, by
e-mail (a real SMTP server started here) in each person's language with a working
unsubscribe link, and by a signed webhook (a real receiver verifying with `standardwebhooks`);
the reminder three days before the deadline reaches who still follows; the feeds parse."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import feedparser
import httpx
import icalendar
import pytest
from pycrdt import Text
from sqlalchemy import func, select

from client import DocumentClient
from server.settings import Settings
from storage.models import utc_now
from storage.outreach_models import OutboxRecord
from tests.server.test_auth_http import KEY, assert_problem
from tests.support.outreach import MailSink, WebhookReceiver
from tests.support.rooms import bearer_headers, services_of
from tests.support.server import RunningServer, serve_in_process
from tests.support.waiting import eventually

PEOPLE = {"owner": "bg", "anna": "bg", "ben": "en", "carl": "bg", "dora": "bg", "eve": "en"}


@pytest.fixture
async def sink() -> AsyncIterator[MailSink]:
    async with MailSink() as running:
        yield running


@pytest.fixture
async def server(database_url: str, sink: MailSink) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=database_url,
        secret_key=KEY,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_starttls=False,
        public_url="http://veche.test",
        allow_http_webhooks=True,
        notice_every=3600.0,  # the test announces by hand
    )
    async with serve_in_process(settings) as running:
        yield running


@pytest.fixture
async def auth(server: RunningServer) -> dict[str, dict[str, str]]:
    return await bearer_headers(server, PEOPLE)


async def _follow(http: httpx.AsyncClient, who: dict[str, str], kind: str, target: str) -> None:
    name = who["Authorization"][-6:]
    answer = await http.put("/me/notices/email", json={"email": f"{name}@mail.test"}, headers=who)
    assert answer.status_code == 200, answer.text
    made = await http.post("/me/subscriptions", json={"kind": kind, "target": target}, headers=who)
    assert made.status_code == 201, made.text


async def test_a_consultation_is_announced_once_by_mail_webhook_and_feeds(
    server: RunningServer, auth: dict[str, dict[str, str]], sink: MailSink
) -> None:
    services = services_of(server)
    async with (
        WebhookReceiver(secrets=[]) as receiver,
        httpx.AsyncClient(base_url=server.http + "/api/v1") as http,
    ):
        # who follows what; "dora" follows an organisation in Smolyan working on governance
        org = {"name": "Прозрачност Смолян", "kind": "ngo", "municipality": "SML31"}
        made = await http.post("/directory/organisations", json=org, headers=auth["dora"])
        await http.patch(
            f"/directory/organisations/{made.json()['slug']}",
            json={"sectors": ["governance"]},
            headers=auth["dora"],
        )
        await _follow(http, auth["anna"], "region", "SML")
        await _follow(http, auth["ben"], "sector", "governance")
        await _follow(http, auth["dora"], "organisation", made.json()["slug"])
        await _follow(http, auth["eve"], "region", "PDV")  # elsewhere: told nothing
        no_address = await http.post(
            "/me/subscriptions", json={"kind": "all"}, headers=auth["carl"]
        )
        assert no_address.status_code == 201  # carl has no address: no mail
        again = await http.post(
            "/me/subscriptions", json={"kind": "region", "target": "SML"}, headers=auth["anna"]
        )
        assert again.status_code == 200
        bad = await http.post(
            "/me/subscriptions", json={"kind": "region", "target": "XXX"}, headers=auth["anna"]
        )
        assert assert_problem(bad, 422, "invalid-parameter")["parameter"] == "target"
        hook = await http.post(
            "/me/webhooks",
            json={"url": receiver.url, "event_types": ["consultation.opened"]},
            headers=auth["eve"],
        )
        assert hook.status_code == 201, hook.text
        receiver.secrets.append(hook.json()["secret"])

        # the authority publishes a draft for Smolyan, on good governance
        room = {"slug": "smolyan", "title": "Община Смолян", "visibility": "public"}
        await http.post("/rooms", json=room, headers=auth["owner"])
        proposal = (
            await http.post(
                "/rooms/smolyan/proposals", json={"title": "Наредба"}, headers=auth["owner"]
            )
        ).json()
        token = auth["owner"]["Authorization"].removeprefix("Bearer ")
        async with DocumentClient(server.yjs, proposal["document"], token=token) as client:
            client.doc.get("content", type=Text).insert(0, "Член 1.")
            await client.wait_saved()
        body = {"oblast": "SML", "sectors": ["governance"]}
        path = f"/rooms/smolyan/proposals/{proposal['id']}/consultation"
        consultation = (await http.post(path, json=body, headers=auth["owner"])).json()

        notices = services.notices.notices
        assert await notices.announce_due() == 1
        assert await notices.announce_due() == 0  # once
        mails = await sink.wait_for(3)
        by_address = {str(m["To"]): m for m in mails}
        names = {a["Authorization"][-6:]: n for n, a in auth.items()}
        assert {names[a.split("@")[0]] for a in by_address} == {"anna", "ben", "dora"}
        anna = by_address[f"{auth['anna']['Authorization'][-6:]}@mail.test"]
        ben = by_address[f"{auth['ben']['Authorization'][-6:]}@mail.test"]
        assert anna["Subject"] == "Обществена консултация: Наредба"
        assert anna["Content-Language"] == "bg"
        assert ben["Subject"] == "Public consultation: Наредба"
        text = anna.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"http://veche.test/consultations/{consultation['id']}" in text
        link = anna["List-Unsubscribe"].strip("<>")
        assert link.startswith("http://veche.test/unsubscribe/")

        arrivals = await receiver.wait_for(1)
        assert arrivals[0].verified == [True]
        event = json.loads(arrivals[0].body)
        assert event["type"] == "consultation.opened"
        assert event["data"]["consultation"]["id"] == consultation["id"]
        states: list[str] = []

        async def delivered() -> bool:
            # the receiver has the request before the server has read the answer and
            # recorded the delivery
            listed = await http.get(
                f"/me/webhooks/{hook.json()['id']}/deliveries", headers=auth["eve"]
            )
            states[:] = [d["state"] for d in listed.json()["deliveries"]]
            return states != ["pending"]

        await eventually(delivered)
        assert states == ["delivered"]

        # anna's link: a page, then one click
        path_only = link.removeprefix("http://veche.test")
        async with httpx.AsyncClient(base_url=server.http) as web:
            page = await web.get(path_only, headers={"Accept-Language": "bg"})
            assert "Спрете тези известия" in page.text
            done = await web.post(path_only, data={"List-Unsubscribe": "One-Click"})
            assert done.status_code == 200
            forged = await web.post(path_only[:-3] + "abc")
            assert forged.status_code == 400
        mine = (await http.get("/me/notices", headers=auth["anna"])).json()
        assert mine["subscriptions"] == []

        # three days before the deadline: the reminder, to those who still follow
        notices.clock = lambda: utc_now() + timedelta(days=28)
        assert await notices.announce_due() == 1
        reminders = (await sink.wait_for(5))[3:]
        assert sorted(str(m["To"]).split("@")[0] for m in reminders) == sorted(
            auth[n]["Authorization"][-6:] for n in ("ben", "dora")
        )
        assert {str(m["Subject"]) for m in reminders} >= {"Closing soon: Наредба"}

    async with httpx.AsyncClient(base_url=server.http) as web:
        atom = await web.get("/feeds/consultations.atom", params={"oblast": "SML", "lang": "en"})
        parsed: Any = feedparser.parse(atom.content)
        assert not parsed.bozo
        assert [e.title for e in parsed.entries] == ["Наредба"]
        assert parsed.entries[0].link == f"http://veche.test/consultations/{consultation['id']}"
        elsewhere = await web.get("/feeds/consultations.atom", params={"oblast": "PDV"})
        assert feedparser.parse(elsewhere.content).entries == []
        health = await web.get("/feeds/consultations.atom", params={"sector": "health"})
        assert feedparser.parse(health.content).entries == []
        assert (await web.get("/feeds/consultations.atom?oblast=XXX")).status_code == 400
        calendar = await web.get("/feeds/consultations.ics", params={"room": "smolyan"})
        assert calendar.headers["content-type"] == "text/calendar; charset=utf-8"
        events = icalendar.Calendar.from_ical(calendar.content).walk("VEVENT")
        assert len(events) == 1
        assert events[0].decoded("dtstart").isoformat()[:16] == consultation["closes_at"][:16]


async def test_a_public_rooms_decision_is_announced_and_a_private_rooms_is_not(
    server: RunningServer, auth: dict[str, dict[str, str]], sink: MailSink
) -> None:
    async with httpx.AsyncClient(base_url=server.http + "/api/v1") as http:
        for slug, visibility in (("open-council", "public"), ("closed-board", "private")):
            room = {"slug": slug, "title": f"Съвет {slug}", "visibility": visibility}
            await http.post("/rooms", json=room, headers=auth["owner"])
        for slug in ("open-council", "closed-board"):  # the owner follows both rooms
            await _follow(http, auth["owner"], "room", slug)
        for slug in ("open-council", "closed-board"):
            body = {"title": "Бюджет 2027", "method": "approval", "options": ["да", "не"]}
            poll = (
                await http.post(f"/rooms/{slug}/polls", json=body, headers=auth["owner"])
            ).json()
            await http.post(
                f"/rooms/{slug}/polls/{poll['id']}/ballots",
                json={"choice": ["да"]},
                headers=auth["owner"],
            )
            closed = await http.post(
                f"/rooms/{slug}/polls/{poll['id']}/close", headers=auth["owner"]
            )
            assert closed.status_code == 200, closed.text
    notices = services_of(server).notices.notices
    assert await notices.announce_due() == 2  # both records are looked at, once
    assert await notices.announce_due() == 0
    [mail] = await sink.wait_for(1)
    assert mail["Subject"] == "Решение в Съвет open-council: Бюджет 2027"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "http://veche.test/rooms/open-council/decisions/1" in text
    # the private room's decision stays in it: one e-mail was queued, not two
    async with services_of(server).database.sessionmaker() as session:
        queued = await session.scalar(
            select(func.count()).select_from(OutboxRecord).where(OutboxRecord.channel == "email")
        )
    assert queued == 1
    # and in the news feed: the public room's decision only
    async with httpx.AsyncClient(base_url=server.http) as web:
        news: Any = feedparser.parse((await web.get("/feeds/news.atom")).content)
        assert not news.bozo
        assert [(e.title, e.link) for e in news.entries] == [
            ("Бюджет 2027", "http://veche.test/rooms/open-council/decisions/1")
        ]
        private = await web.get("/feeds/news.atom", params={"room": "closed-board"})
        assert feedparser.parse(private.content).entries == []


async def test_planned_live_sessions_of_public_rooms_are_in_the_calendar(
    server: RunningServer, auth: dict[str, dict[str, str]]
) -> None:
    start = (utc_now() + timedelta(days=2)).replace(microsecond=0)
    session = {
        "title": "Заседание на съвета",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    async with httpx.AsyncClient(base_url=server.http + "/api/v1") as http:
        for slug, visibility in (("open-council", "public"), ("closed-board", "private")):
            room = {"slug": slug, "title": f"Съвет {slug}", "visibility": visibility}
            await http.post("/rooms", json=room, headers=auth["owner"])
            made = await http.post(f"/rooms/{slug}/sessions", json=session, headers=auth["owner"])
            assert made.status_code == 201, made.text
        backwards = session | {"ends_at": (start - timedelta(hours=1)).isoformat()}
        refused = await http.post(
            "/rooms/open-council/sessions", json=backwards, headers=auth["owner"]
        )
        assert assert_problem(refused, 422, "invalid-parameter")["parameter"] == "ends_at"
        outsider = await http.post(
            "/rooms/open-council/sessions", json=session, headers=auth["anna"]
        )
        assert outsider.status_code == 403
        listed = (await http.get("/rooms/open-council/sessions")).json()["sessions"]
        assert [s["title"] for s in listed] == ["Заседание на съвета"]

    async with httpx.AsyncClient(base_url=server.http) as web:
        answer = await web.get("/feeds/calendar.ics", params={"lang": "bg"})
        events = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
        assert [str(e["summary"]) for e in events] == ["Заседание на съвета (Съвет open-council)"]
        assert events[0].decoded("dtstart") == start
        assert events[0].decoded("dtend") == start + timedelta(hours=2)

    async with httpx.AsyncClient(base_url=server.http + "/api/v1") as http:
        cancelled = await http.delete(
            f"/rooms/open-council/sessions/{listed[0]['id']}", headers=auth["owner"]
        )
        assert cancelled.status_code == 204
    async with httpx.AsyncClient(base_url=server.http) as web:
        answer = await web.get("/feeds/calendar.ics")
        assert icalendar.Calendar.from_ical(answer.content).walk("VEVENT") == []
