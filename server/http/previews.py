"""Link previews: Open Graph and Twitter-card tags written into the app's page by the server.

A link to a consultation, its report, an organisation or a decision record is usually shown
by a crawler (a chat, a social network) that runs no script, so the page the browser app would
fill in says nothing to it. For those paths `web.py` asks `preview_for(request)` and writes
what it answers into the page's `<head>` (`with_preview`): a `<title>`, `og:title`,
`og:description`, `og:type`, `og:url`, `og:site_name`, `og:locale` and `twitter:card`
(`summary`). Only what anyone may read is described: consultations and organisations are
public, decision records only those of public rooms. An unknown or hidden id gets the plain
page, exactly as served without a preview. Every value is escaped; the tags are meta
elements, which the Content-Security-Policy leaves alone. The texts are in the `previews`
catalog, in the language of `Accept-Language` (docs/web.md).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from starlette.requests import Request

from server.consultations.service import LOCAL_TIME
from server.directory.kinds import KINDS, SECTORS
from server.directory.regions import municipality, oblast
from server.errors import Denied, NotFound
from server.i18n import Translator, negotiate, translator

if TYPE_CHECKING:
    from server.services import Services
    from storage.directory import StoredOrganisation

log = logging.getLogger(__name__)

DESCRIPTION_LENGTH = 200  # characters: what link previews show before cutting
OG_LOCALES = {"bg": "bg_BG", "en": "en_GB"}
CONSULTATION = re.compile(r"^/consultations/([1-9][0-9]{0,17})(/report)?/?$")
ORGANISATION = re.compile(r"^/directory/([^/]{1,200})/?$")
RECORD = re.compile(r"^/rooms/([^/]{1,200})/decisions/([1-9][0-9]{0,17})/?$")
TITLE = re.compile(r"<title>[^<]*</title>", re.IGNORECASE)


@dataclass(frozen=True)
class Preview:
    title: str
    description: str
    kind: str  # og:type
    url: str
    site_name: str
    locale: str


async def preview_for(request: Request) -> Preview | None:
    """The preview of the page at the request's path, or None (not a previewed path, or
    nothing public there)."""
    locale = negotiate(request.headers.get("accept-language"))
    t = translator(locale, "previews")
    services: Services = request.app.state.services
    path = request.url.path
    try:
        found = await _described(services, path, t, locale)
    except (NotFound, Denied):
        return None
    except Exception:  # a preview is a courtesy to crawlers: it never costs the page itself
        log.exception("a link preview failed; the page is served without one")
        return None
    if found is None:
        return None
    title, description, kind = found
    url = str(request.url.replace(query="", fragment=""))
    return Preview(title, description, kind, url, t.gettext("Veche"), locale)


async def _described(
    services: Services, path: str, t: Translator, locale: str
) -> tuple[str, str, str] | None:
    if match := CONSULTATION.match(path):
        consultation_id, report = int(match[1]), match[2] is not None
        return await (_report if report else _consultation)(services, consultation_id, t, locale)
    if match := RECORD.match(path):
        return await _record(services, match[1], int(match[2]), t, locale)
    if match := ORGANISATION.match(path):
        found = await services.directory.get(match[1])
        return found.name, _organisation_description(found, t, locale), "website"
    return None


async def _consultation(
    services: Services, consultation_id: int, t: Translator, locale: str
) -> tuple[str, str, str]:
    consultations = services.consultations
    found = await consultations.get(consultation_id)
    proposal = await consultations.proposal(found)
    if found.state == "open":
        when = t.format("Open for comments until {date}.", date=_day(found.closes_at, locale))
    elif found.state == "closed":
        when = t.format(
            "Closed on {date}; the report is being prepared.",
            date=_day(found.closed_at or found.closes_at, locale),
        )
    else:
        when = t.format(
            "Closed; the report was published on {date}.",
            date=_day(found.reported_at or found.closes_at, locale),
        )
    text = (await consultations.text(found)).text
    title = t.format("Public consultation: {title}", title=proposal.title)
    return title, _shortened(f"{when} {_one_line(text)}"), "article"


async def _report(
    services: Services, consultation_id: int, t: Translator, locale: str
) -> tuple[str, str, str] | None:
    found = await services.consultations.get(consultation_id)
    if found.report_json is None:
        return None
    report: dict[str, Any] = json.loads(found.report_json)
    title = t.format("Consultation report: {title}", title=report["proposal"]["title"])
    return title, _counts(report["counts"], t), "article"


def _counts(counts: dict[str, int], t: Translator) -> str:
    total = counts["comments"]
    comments = t.ngettext("{count} comment", "{count} comments", total).format(count=total)
    return t.format(
        "{comments}: {accepted} accepted, {partly} partly, {refused} not accepted.",
        comments=comments,
        accepted=counts["accepted"],
        partly=counts["partly_accepted"],
        refused=counts["not_accepted"],
    )


async def _record(
    services: Services, slug: str, position: int, t: Translator, locale: str
) -> tuple[str, str, str] | None:
    view = await services.rooms.view(slug, None)  # as an anonymous reader: hidden if private
    if view.room.visibility != "public":
        return None
    record, _ = await services.decisions.closer.record(view, position)
    room = view.room.title
    if record.get("kind") == "consultation-report":
        title = t.format("Consultation report: {title}", title=record["proposal"]["title"])
        return title, _counts(record["counts"], t), "article"
    poll = record["poll"]
    outcome = {
        "adopted": t.gettext("adopted"),
        "rejected": t.gettext("rejected"),
        "decided": t.gettext("decided"),
        "tie": t.gettext("a tie"),
        "no_votes": t.gettext("no votes cast"),
        "no_quorum": t.gettext("no quorum"),
    }.get(str(record.get("outcome")), str(record.get("outcome")))
    title = t.format("Decision: {title}", title=poll["title"])
    decided = t.format(
        "Decision {position} of {room}, {date}: {outcome}.",
        position=position,
        room=room,
        date=_day(datetime.fromisoformat(poll["closed_at"]), locale),
        outcome=outcome,
    )
    turnout = t.format(
        "Turnout: {turnout} of {electorate}.",
        turnout=record["turnout"],
        electorate=record["electorate_size"],
    )
    return title, _shortened(f"{decided} {turnout}"), "article"


def _organisation_description(found: StoredOrganisation, t: Translator, locale: str) -> str:
    latin = locale != "bg"
    parts = [_term(KINDS, found.kind, locale)]
    place = municipality(found.municipality) if found.municipality else None
    region = oblast(found.oblast) if found.oblast else None
    if place is not None:
        parts.append(place.name_latin if latin else place.name)
    elif region is not None:
        parts.append(region.name_latin if latin else region.name)
    if found.verified_at is not None:
        parts.append(t.gettext("verified"))
    if found.sectors:
        parts.append(", ".join(_term(SECTORS, s, locale) for s in found.sectors))
    summary = " · ".join(parts)
    return _shortened(f"{summary}. {_one_line(found.description)}".rstrip(" ."))


def _term(terms: tuple[Any, ...], slug: str, locale: str) -> str:
    for term in terms:
        if term.slug == slug:
            return str(term.bg if locale == "bg" else term.en)
    return slug


def _day(moment: datetime, locale: str) -> str:
    """A date as people there say it, in Bulgaria's calendar (the law counts days there)."""
    return format_date(moment.astimezone(LOCAL_TIME).date(), format="long", locale=locale)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shortened(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"


def with_preview(page: bytes, preview: Preview) -> bytes:
    """The page with the preview's title and tags in its head (escaped)."""

    def meta(attribute: str, name: str, content: str) -> str:
        return f'<meta {attribute}="{name}" content="{escape(content)}">'

    tags = "\n    ".join(
        (
            meta("property", "og:title", preview.title),
            meta("property", "og:description", preview.description),
            meta("property", "og:type", preview.kind),
            meta("property", "og:url", preview.url),
            meta("property", "og:site_name", preview.site_name),
            meta("property", "og:locale", OG_LOCALES.get(preview.locale, "bg_BG")),
            meta("name", "twitter:card", "summary"),
            meta("name", "twitter:title", preview.title),
            meta("name", "twitter:description", preview.description),
            meta("name", "description", preview.description),
        )
    )
    text = page.decode("utf-8")
    title = f"<title>{escape(preview.title)} · {escape(preview.site_name)}</title>"
    text, replaced = TITLE.subn(lambda _: title, text, count=1)
    head = tags if replaced else f"{title}\n    {tags}"
    if "</head>" in text:
        text = text.replace("</head>", f"  {head}\n  </head>", 1)
    else:  # a page without a head element: the parser puts leading metadata into one
        doctype, found, rest = (
            text.partition(">") if text.lower().startswith("<!doctype") else ("", "", text)
        )
        text = f"{doctype}{found}{head}{rest}"
    return text.encode("utf-8")
