"""Feeds and the unsubscribe page, outside the JSON API (docs/notifications.md):

- `/feeds/consultations.atom` — consultations, newest first; `?oblast=` (that oblast's and
  the national ones), `?sector=`, `?room=`; `?lang=bg|en` or `Accept-Language`;
- `/feeds/news.atom` — consultations and the public rooms' decisions, newest first; `?room=`
  for one room's (with `?oblast=` or `?sector=`, consultations only: decisions have neither);
- `/feeds/consultations.ics` — their deadlines as an iCalendar feed, same filters;
- `/feeds/calendar.ics` — those deadlines and the public rooms' planned live sessions
  (`?room=` for one room's);
- `/unsubscribe/{token}` — GET shows a page with a button, POST stops the notices (what a
  mail client's one-click unsubscribe sends, RFC 8058).
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from server.directory.kinds import SECTOR_SLUGS
from server.directory.regions import oblast
from server.i18n import negotiate, translator
from server.notices.texts import feed_titles
from server.outreach import InvalidUnsubscribeLink
from server.outreach.feeds import (
    CalendarEvent,
    CalendarHead,
    FeedEntry,
    FeedHead,
    atom_feed,
    icalendar_feed,
)
from server.services import Services
from storage.consultations import StoredConsultation
from storage.notices import public_decisions

MAX_ITEMS = 100
CALENDAR = "text/calendar; charset=utf-8"
Listed = list[tuple[StoredConsultation, str, str]]


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _locale(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"), request.query_params.get("lang"))


async def _listed(request: Request) -> Listed | Response:
    """The consultations the query asks for, or a 400 page naming the bad parameter."""
    services, query = _services(request), request.query_params
    region, sector, slug = query.get("oblast"), query.get("sector"), query.get("room")
    if region is not None and oblast(region) is None:
        return Response(f"no oblast {region!r}\n", 400, media_type="text/plain")
    if sector is not None and sector not in SECTOR_SLUGS:
        return Response(f"no sector {sector!r}\n", 400, media_type="text/plain")
    room_id = None
    if slug is not None:
        room = await services.rooms.store.find_room(slug)
        if room is None:
            return Response(f"no room {slug!r}\n", 404, media_type="text/plain")
        room_id = room.id
    found = await services.consultations.store.published(
        room_id=room_id, oblast=region, limit=MAX_ITEMS * 5
    )
    if sector is not None:
        found = [item for item in found if sector in item[0].sectors]
    return found[:MAX_ITEMS]


def _consultation_entries(listed: Listed, base: str, words: dict[str, str]) -> list[FeedEntry]:
    entries = []
    for consultation, title, room in listed:
        url = f"{base}/consultations/{consultation.id}"
        state = words["reported"] if consultation.state == "reported" else words["opened"]
        deadline = consultation.closes_at.date().isoformat()
        entries.append(
            FeedEntry(
                id=url,
                title=title,
                summary=f"{state}: {room}, {words['deadline']} {deadline}",
                link=url + ("/report" if consultation.state == "reported" else ""),
                updated=consultation.reported_at
                or consultation.closed_at
                or consultation.opened_at,
                published=consultation.opened_at,
            )
        )
    return entries


def _atom(request: Request, path: str, title: str, entries: list[FeedEntry]) -> Response:
    base, locale = _services(request).settings.base_url, _locale(request)
    entries = sorted(entries, key=lambda e: e.updated, reverse=True)[:MAX_ITEMS]
    head = FeedHead(
        id=f"{base}{path}",
        title=title,
        self_link=str(request.url),
        language=locale,
        link=f"{base}/consultations",
    )
    return Response(atom_feed(head, entries), media_type="application/atom+xml")


async def consultations_atom(request: Request) -> Response:
    listed = await _listed(request)
    if isinstance(listed, Response):
        return listed
    words = feed_titles(_locale(request))
    entries = _consultation_entries(listed, _services(request).settings.base_url, words)
    return _atom(request, "/feeds/consultations.atom", words["consultations"], entries)


async def news_atom(request: Request) -> Response:
    """Consultations and the decisions of public rooms."""
    listed = await _listed(request)
    if isinstance(listed, Response):
        return listed
    services, words = _services(request), feed_titles(_locale(request))
    base = services.settings.base_url
    entries = _consultation_entries(listed, base, words)
    query = request.query_params
    if "oblast" not in query and "sector" not in query:
        room = query.get("room")
        found = None if room is None else await services.rooms.store.find_room(room)
        decided = await public_decisions(
            services.database, room_id=None if found is None else found.id, limit=MAX_ITEMS
        )
        for decision in decided:
            record = decision.record
            title = (record.get("proposal") or {}).get("title") or record["poll"]["title"]
            url = f"{base}/rooms/{decision.room}/decisions/{decision.position}"
            entries.append(
                FeedEntry(
                    id=url,
                    title=title,
                    summary=f"{words['decision']}: {decision.room_title}, {record['outcome']}",
                    link=url,
                    updated=decision.created_at,
                )
            )
    return _atom(request, "/feeds/news.atom", words["news"], entries)


def _deadlines(listed: Listed, base: str, words: dict[str, str]) -> list[CalendarEvent]:
    return [
        CalendarEvent(
            uid=f"consultation-{consultation.id}-deadline@veche",
            summary=f"{words['deadline']}: {title}",
            description=f"{room}: {base}/consultations/{consultation.id}",
            start=consultation.closes_at,
            end=None,
            url=f"{base}/consultations/{consultation.id}",
            updated=consultation.opened_at,
        )
        for consultation, title, room in listed
    ]


async def consultations_calendar(request: Request) -> Response:
    listed = await _listed(request)
    if isinstance(listed, Response):
        return listed
    locale, base = _locale(request), _services(request).settings.base_url
    words = feed_titles(locale)
    body = icalendar_feed(
        CalendarHead(name=words["calendar"], language=locale), _deadlines(listed, base, words)
    )
    return Response(body, media_type=CALENDAR)


async def calendar(request: Request) -> Response:
    """Consultation deadlines and planned live sessions of public rooms."""
    listed = await _listed(request)
    if isinstance(listed, Response):
        return listed
    services, locale = _services(request), _locale(request)
    base, words = services.settings.base_url, feed_titles(locale)
    room = request.query_params.get("room")
    room_id = None
    if room is not None:
        found = await services.rooms.store.find_room(room)
        room_id = None if found is None else found.id
    planned = await services.session_plans.store.public(
        room_id=room_id, since=services.clock(), limit=MAX_ITEMS
    )
    sessions = [
        CalendarEvent(
            uid=f"session-{session.id}@veche",
            summary=f"{session.title} ({room_title})",
            description=f"{words['session']}: {base}/rooms/{slug}",
            start=session.starts_at,
            end=session.ends_at,
            url=f"{base}/rooms/{slug}",
            updated=session.created_at,
        )
        for session, slug, room_title in planned
    ]
    head = CalendarHead(name=words["everything"], language=locale)
    return Response(
        icalendar_feed(head, [*sessions, *_deadlines(listed, base, words)]), media_type=CALENDAR
    )


def _page(locale: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    page = (
        f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
        f"{body}</main></body></html>"
    )
    return HTMLResponse(page, status, headers={"Cache-Control": "no-store"})


async def unsubscribe(request: Request) -> Response:
    services, locale = _services(request), _locale(request)
    t = translator(locale, "outreach")
    token = request.path_params["token"]
    try:
        asked = services.notices.outreach.unsubscription(token)
    except InvalidUnsubscribeLink:
        return _page(locale, t.gettext("This link is not valid"), "", 400)
    if request.method == "GET":
        form = (
            f'<form method="post" action="/unsubscribe/{escape(token)}">'
            f'<button type="submit">{escape(t.gettext("Stop these notices"))}</button></form>'
        )
        return _page(locale, t.gettext("Stop the notices?"), form)
    subscription = None if asked.subscription == "all" else asked.subscription
    await services.notices.notices.store.unsubscribe(asked.user_id, subscription)
    return _page(locale, t.gettext("You will not get these notices any more"), "")


routes = [
    Route("/feeds/consultations.atom", consultations_atom),
    Route("/feeds/news.atom", news_atom),
    Route("/feeds/consultations.ics", consultations_calendar),
    Route("/feeds/calendar.ics", calendar),
    Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
]
