"""The words of notices — e-mails and feed entries — in the recipient's language (the
``outreach`` catalog, docs/i18n.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.consultations.service import LOCAL_TIME
from server.i18n import translator


@dataclass(frozen=True)
class Wording:
    subject: str
    text: str
    unsubscribe: str


def _day(at: datetime) -> str:
    return at.astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


def consultation_opened(
    locale: str, title: str, room: str, closes_at: datetime, url: str
) -> Wording:
    t = translator(locale, "outreach")
    return Wording(
        t.format("Public consultation: {title}", title=title),
        t.format(
            "“{title}” is open for public consultation in {room} until {closes}.\n"
            "Read it and comment: {url}",
            title=title,
            room=room,
            closes=_day(closes_at),
            url=url,
        ),
        t.gettext("Stop these notices"),
    )


def consultation_closing(locale: str, title: str, closes_at: datetime, url: str) -> Wording:
    t = translator(locale, "outreach")
    return Wording(
        t.format("Closing soon: {title}", title=title),
        t.format(
            "The public consultation on “{title}” closes on {closes}.\n"
            "There is still time to comment: {url}",
            title=title,
            closes=_day(closes_at),
            url=url,
        ),
        t.gettext("Stop these notices"),
    )


def consultation_reported(locale: str, title: str, comments: int, url: str) -> Wording:
    t = translator(locale, "outreach")
    count = t.ngettext(
        "{count} comment was answered", "{count} comments were answered", comments
    ).format(count=comments)
    return Wording(
        t.format("Consultation report: {title}", title=title),
        t.format(
            "The report of the public consultation on “{title}” is published. {count}.\n"
            "Read it: {url}",
            title=title,
            count=count,
            url=url,
        ),
        t.gettext("Stop these notices"),
    )


def decision_recorded(locale: str, title: str, room: str, outcome: str, url: str) -> Wording:
    t = translator(locale, "outreach")
    outcomes = {
        "adopted": t.gettext("adopted"),
        "rejected": t.gettext("rejected"),
    }
    return Wording(
        t.format("Decision in {room}: {title}", room=room, title=title),
        t.format(
            "{room} decided on “{title}”: {outcome}.\nThe record: {url}",
            room=room,
            title=title,
            outcome=outcomes.get(outcome, outcome),
            url=url,
        ),
        t.gettext("Stop these notices"),
    )


def feed_titles(locale: str) -> dict[str, str]:
    t = translator(locale, "outreach")
    return {
        "consultations": t.gettext("Veche: public consultations"),
        "calendar": t.gettext("Veche: consultation deadlines"),
        "deadline": t.gettext("Deadline of the consultation"),
        "opened": t.gettext("Open for consultation"),
        "reported": t.gettext("Report published"),
        "session": t.gettext("Live session"),
        "decision": t.gettext("Decision"),
        "news": t.gettext("Veche: consultations and decisions"),
        "everything": t.gettext("Veche: live sessions and consultation deadlines"),
    }
