"""Atom feeds (feedgen) and iCalendar feeds (icalendar) from plain values.

The producers (consultations, live sessions, decisions) turn what they publish into
`FeedEntry` and `CalendarEvent` values; these functions only render them, so a feed is a
pure function of its values (no clock, no database). Times must be timezone-aware and are
written in UTC. Entries and events are bounded: a feed shows the newest, the caller picks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import icalendar
from feedgen.feed import FeedGenerator

from server.outreach import InvalidOutreachInput

MAX_ENTRIES = 500
MAX_EVENTS = 2000
GENERATOR = "Veche"


def _utc(field: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidOutreachInput(field, f"{field} must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class FeedHead:
    """A feed's identity: ``id`` (a stable URI), ``self_link`` (the feed's own URL),
    ``link`` (the page it follows), its title and language."""

    id: str
    title: str
    self_link: str
    language: str
    link: str | None = None
    subtitle: str | None = None
    author: str = GENERATOR


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    summary: str
    link: str
    updated: datetime
    author: str | None = None
    published: datetime | None = None


def atom_feed(head: FeedHead, entries: Sequence[FeedEntry]) -> bytes:
    """The Atom document (UTF-8), entries in the given order (newest first, by convention).
    The feed's ``updated`` is its newest entry's (or the epoch for an empty feed)."""
    if len(entries) > MAX_ENTRIES:
        raise InvalidOutreachInput("entries", f"a feed holds at most {MAX_ENTRIES} entries")
    feed = FeedGenerator()
    feed.id(head.id)
    feed.title(head.title)
    feed.language(head.language)
    feed.author({"name": head.author})
    feed.generator(GENERATOR)
    feed.link(href=head.self_link, rel="self", type="application/atom+xml")
    if head.link is not None:
        feed.link(href=head.link, rel="alternate", type="text/html")
    if head.subtitle is not None:
        feed.subtitle(head.subtitle)
    newest = datetime(1970, 1, 1, tzinfo=UTC)
    for entry in entries:
        updated = _utc("updated", entry.updated)
        newest = max(newest, updated)
        item = feed.add_entry(order="append")
        item.id(entry.id)
        item.title(entry.title)
        item.summary(entry.summary)
        item.link(href=entry.link, rel="alternate", type="text/html")
        item.updated(updated)
        if entry.published is not None:
            item.published(_utc("published", entry.published))
        if entry.author is not None:
            item.author({"name": entry.author})
    feed.updated(newest)
    atom: bytes = feed.atom_str(pretty=True)
    return atom


@dataclass(frozen=True)
class CalendarHead:
    """A calendar's name and language; ``product`` is its PRODID."""

    name: str
    language: str
    product: str = "-//Veche//Veche//EN"


@dataclass(frozen=True)
class CalendarEvent:
    """A live session (start and end) or a deadline (``end`` None: a moment)."""

    uid: str
    summary: str
    description: str
    start: datetime
    end: datetime | None
    url: str | None = None
    location: str | None = None
    updated: datetime | None = None  # DTSTAMP; the start when unknown


def icalendar_feed(head: CalendarHead, events: Sequence[CalendarEvent]) -> bytes:
    """The iCalendar document (RFC 5545, UTF-8) with one VEVENT per event."""
    if len(events) > MAX_EVENTS:
        raise InvalidOutreachInput("events", f"a calendar holds at most {MAX_EVENTS} events")
    calendar = icalendar.Calendar()
    calendar.add("prodid", head.product)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", head.name, parameters={"LANGUAGE": head.language})
    language = {"LANGUAGE": head.language}
    for item in events:
        start = _utc("start", item.start)
        vevent = icalendar.Event()
        vevent.add("uid", item.uid)
        vevent.add("dtstamp", _utc("updated", item.updated or item.start))
        vevent.add("dtstart", start)
        if item.end is not None:
            end = _utc("end", item.end)
            if end < start:
                raise InvalidOutreachInput("end", f"event {item.uid} ends before it starts")
            vevent.add("dtend", end)
        vevent.add("summary", item.summary, parameters=language)
        vevent.add("description", item.description, parameters=language)
        if item.url is not None:
            vevent.add("url", item.url)
        if item.location is not None:
            vevent.add("location", item.location, parameters=language)
        calendar.add_component(vevent)
    document: bytes = calendar.to_ical()
    return document
