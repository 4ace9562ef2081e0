"""Atom feeds read back with feedparser and iCalendar feeds with the icalendar package."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone

import feedparser
import icalendar
import pytest

from server.outreach import InvalidOutreachInput
from server.outreach.feeds import (
    MAX_ENTRIES,
    CalendarEvent,
    CalendarHead,
    FeedEntry,
    FeedHead,
    atom_feed,
    icalendar_feed,
)

SOFIA = timezone(timedelta(hours=2))
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HEAD = FeedHead(
    id="https://veche.test/feeds/region/BG-16",
    title="Консултации — област Пловдив",
    self_link="https://veche.test/feeds/region/BG-16.atom",
    link="https://veche.test/consultations?region=BG-16",
    language="bg",
    subtitle="Нови обществени консултации и доклади",
)
ENTRIES = [
    FeedEntry(
        id="https://veche.test/consultations/7",
        title="Бюджет 2027 на община Пловдив",
        summary="Открита е обществена консултация до 12 март.",
        link="https://veche.test/consultations/7",
        updated=datetime(2026, 3, 2, 11, 0, tzinfo=SOFIA),  # 09:00 UTC
        published=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        author="Община Пловдив",
    ),
    FeedEntry(
        id="https://veche.test/reports/3",
        title="Доклад: Транспортна схема <Смолян> & околности",
        summary="Приети 12, частично приети 4, неприети 9 предложения.",
        link="https://veche.test/reports/3",
        updated=datetime(2026, 2, 20, 16, 15, tzinfo=UTC),
    ),
]


def _utc(parsed: object) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)  # type: ignore[arg-type]


def test_the_atom_feed_parses_with_its_entries_links_and_dates() -> None:
    parsed = feedparser.parse(atom_feed(HEAD, ENTRIES))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    feed = parsed.feed
    assert feed.title == HEAD.title
    assert feed.id == HEAD.id
    assert feed.language == "bg"
    assert feed.subtitle == HEAD.subtitle
    links = {link.rel: link.href for link in feed.links}
    assert links == {"self": HEAD.self_link, "alternate": HEAD.link}
    assert _utc(feed.updated_parsed) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the newest

    first, second = parsed.entries
    assert first.id == ENTRIES[0].id
    assert first.title == "Бюджет 2027 на община Пловдив"
    assert first.summary == ENTRIES[0].summary
    assert first.link == ENTRIES[0].link
    assert first.author == "Община Пловдив"
    assert _utc(first.updated_parsed) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert _utc(first.published_parsed) == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert second.title == "Доклад: Транспортна схема <Смолян> & околности"  # escaped, intact
    assert _utc(second.updated_parsed) == datetime(2026, 2, 20, 16, 15, tzinfo=UTC)
    assert "author" not in second


def test_an_empty_feed_is_valid_and_bad_input_is_refused() -> None:
    parsed = feedparser.parse(atom_feed(HEAD, []))
    assert not parsed.bozo
    assert parsed.entries == []
    naive = FeedEntry(
        id="urn:x", title="x", summary="x", link="https://veche.test/x",
        updated=datetime(2026, 3, 2, 9, 30),
    )  # fmt: skip
    with pytest.raises(InvalidOutreachInput) as caught:
        atom_feed(HEAD, [naive])
    assert caught.value.field == "updated"
    with pytest.raises(InvalidOutreachInput):
        atom_feed(HEAD, [ENTRIES[1]] * (MAX_ENTRIES + 1))


SESSION = CalendarEvent(
    uid="live-session-41@veche.test",
    summary="Заседание на работната група: Зелен Смолян",
    description="Дневен ред: 1. Бюджет; 2. Разни.",
    start=datetime(2026, 3, 10, 18, 0, tzinfo=SOFIA),
    end=datetime(2026, 3, 10, 20, 0, tzinfo=SOFIA),
    url="https://veche.test/rooms/zelen-smolyan/live",
    location="Онлайн",
    updated=T0,
)
DEADLINE = CalendarEvent(
    uid="consultation-7-deadline@veche.test",
    summary="Краен срок: Бюджет 2027 на община Пловдив",
    description="Последен ден за коментари, с нов ред\nи запетаи, точка; и запетая",
    start=datetime(2026, 3, 12, 21, 59, tzinfo=UTC),
    end=None,
)


def test_the_calendar_parses_with_its_events_uids_and_times() -> None:
    head = CalendarHead(name="Вече: Пловдив", language="bg")
    parsed = icalendar.Calendar.from_ical(icalendar_feed(head, [SESSION, DEADLINE]))
    assert str(parsed["version"]) == "2.0"
    assert str(parsed["x-wr-calname"]) == "Вече: Пловдив"
    events = list(parsed.walk("VEVENT"))
    assert [str(e["uid"]) for e in events] == [SESSION.uid, DEADLINE.uid]

    session, deadline = events
    assert session.decoded("dtstart") == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    assert session.decoded("dtend") == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert session.decoded("dtstart").utcoffset() == timedelta(0)
    assert session.decoded("dtstamp") == T0
    assert str(session["summary"]) == SESSION.summary
    assert session["summary"].params["LANGUAGE"] == "bg"
    assert str(session["location"]) == "Онлайн"
    assert str(session["url"]) == SESSION.url

    assert deadline.decoded("dtstart") == DEADLINE.start
    assert "dtend" not in deadline
    assert deadline.decoded("dtstamp") == DEADLINE.start  # no update time: the start
    assert str(deadline["description"]) == DEADLINE.description  # escaped and read back


def test_calendars_refuse_naive_or_reversed_times() -> None:
    head = CalendarHead(name="x", language="en")
    assert list(icalendar.Calendar.from_ical(icalendar_feed(head, [])).walk("VEVENT")) == []
    naive = CalendarEvent(
        uid="u", summary="s", description="d", start=datetime(2026, 3, 1), end=None
    )
    with pytest.raises(InvalidOutreachInput):
        icalendar_feed(head, [naive])
    reversed_ = CalendarEvent(
        uid="u", summary="s", description="d", start=T0, end=T0 - timedelta(minutes=1)
    )
    with pytest.raises(InvalidOutreachInput) as caught:
        icalendar_feed(head, [reversed_])
    assert caught.value.field == "end"
