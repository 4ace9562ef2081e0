"""The consultation report: every comment grouped by the passage it is about, in the order of
the text, with its author or organisation, the response and its reason, and the counts.

`build_report` makes the record (a JSON document: what is hashed and chained); `markdown`,
`csv_text` and `html_page` render that record for people in Bulgarian or English. Every
string a person chose goes through an escaper of its format, so a comment cannot add a
heading, a link, a cell or markup. The hash covers the JSON, not these renderings.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from server.decisions.records import code, text
from server.i18n import translator
from storage.consultations import ConsultationComment, StoredConsultation

REPORT_VERSION = 1
RESPONSES = ("accepted", "partly_accepted", "not_accepted")


@dataclass(frozen=True)
class PlacedComment:
    """A comment with where its passage is in the text now (None: the passage was deleted)."""

    comment: ConsultationComment
    anchor: tuple[int, int] | None


@dataclass(frozen=True)
class ReportSource:
    room: str
    consultation: StoredConsultation
    proposal_id: int
    proposal_title: str
    text: str  # the proposal's text when the report is published
    seq: int  # and its version
    comments: Sequence[PlacedComment]


def build_report(
    source: ReportSource, position: int, previous_sha256: str | None, published_at: datetime
) -> dict[str, Any]:
    consultation = source.consultation
    passages: dict[tuple[int, int] | None, list[dict[str, Any]]] = {}
    for placed in source.comments:
        anchor = placed.anchor if placed.anchor and placed.anchor[0] < placed.anchor[1] else None
        passages.setdefault(anchor, []).append(_comment(placed.comment))
    ordered = sorted((k for k in passages if k is not None), key=lambda k: (k[0], k[1]))
    groups: list[dict[str, Any]] = [
        {"start": s, "end": e, "text": source.text[s:e], "comments": passages[(s, e)]}
        for s, e in ordered
    ]
    if None in passages:  # passages deleted from the text since: last, with their quotes
        groups.append({"start": None, "end": None, "text": None, "comments": passages[None]})
    comments = [c for group in groups for c in group["comments"]]
    counts = {response: sum(c["response"] == response for c in comments) for response in RESPONSES}
    return {
        "version": REPORT_VERSION,
        "kind": "consultation-report",
        "room": source.room,
        "position": position,
        "previous_sha256": previous_sha256,
        "consultation": {
            "id": consultation.id,
            "opened_at": consultation.opened_at.isoformat(),
            "closes_at": consultation.closes_at.isoformat(),
            "closed_at": None
            if consultation.closed_at is None
            else consultation.closed_at.isoformat(),
            "reason": consultation.reason,
            "oblast": consultation.oblast,
            "sectors": consultation.sectors,
        },
        "proposal": {
            "id": source.proposal_id,
            "title": source.proposal_title,
            "seq": source.seq,
            "text_sha256": hashlib.sha256(source.text.encode()).hexdigest(),
            "text": source.text,
        },
        "counts": {
            "comments": len(comments),
            **counts,
            "people": len({c["author"] for c in comments if c["organisation"] is None}),
            "organisations": len({c["organisation"] for c in comments if c["organisation"]}),
        },
        "passages": groups,
        "published_at": published_at.isoformat(),
    }


def _comment(comment: ConsultationComment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "author": comment.author,
        "author_display_name": comment.author_display_name,
        "organisation": comment.organisation,
        "organisation_name": comment.organisation_name,
        "quote": comment.quote,
        "body": comment.body,
        "created_at": comment.created_at.isoformat(),
        "response": comment.response,
        "reason": comment.reason,
    }


def _who(comment: dict[str, Any]) -> str:
    person = comment["author_display_name"] or comment["author"] or "—"
    if comment["organisation_name"]:
        return f"{comment['organisation_name']} ({person})"
    return str(person)


def markdown(report: dict[str, Any], sha256: str, locale: str) -> str:
    t = translator(locale, "consultations")
    proposal, counts = report["proposal"], report["counts"]
    lines = [
        f"# {t.gettext('Consultation report')}: {text(proposal['title'])}",
        "",
        f"- {t.gettext('Room')}: {code(report['room'])}, "
        + t.format("decision {position}", position=report["position"]),
        f"- {t.gettext('Open')}: {report['consultation']['opened_at']} — "
        f"{report['consultation']['closes_at']}",
        f"- {t.gettext('Text')}: "
        + t.format("version {seq}", seq=proposal["seq"])
        + f", SHA-256 `{proposal['text_sha256']}`",
        f"- {t.gettext('Report SHA-256')}: `{sha256}`",
        "",
        f"| {t.gettext('Comments')} | {t.gettext('Accepted')} | {t.gettext('Partly accepted')}"
        f" | {t.gettext('Not accepted')} | {t.gettext('People')} | {t.gettext('Organisations')} |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {counts['comments']} | {counts['accepted']} | {counts['partly_accepted']}"
        f" | {counts['not_accepted']} | {counts['people']} | {counts['organisations']} |",
        "",
    ]
    for group in report["passages"]:
        heading = (
            t.gettext("Passages since removed from the text")
            if group["start"] is None
            else f"«{text(group['text'])}»"
        )
        lines += [f"## {heading}", ""]
        for comment in group["comments"]:
            lines += [
                f"**{text(_who(comment))}**, {comment['created_at']}",
                "",
                *(
                    f"> {text(line, line_start=True)}" if line else ">"
                    for line in comment["body"].splitlines()
                ),
                "",
                f"*{_response(t, comment['response'])}*: {text(comment['reason'] or '')}",
                "",
            ]
    return "\n".join(lines)


def _response(t: Any, response: str | None) -> str:
    names = {
        "accepted": t.gettext("Accepted"),
        "partly_accepted": t.gettext("Partly accepted"),
        "not_accepted": t.gettext("Not accepted"),
    }
    return str(names.get(response or "", t.gettext("No response")))


PAGE_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem }
blockquote { white-space: pre-wrap; margin: .5rem 0; padding-left: 1rem;
  border-left: 3px solid #888 }
table { border-collapse: collapse } th, td { border: 1px solid #888; padding: .25rem .5rem }
.hash { font-family: monospace; overflow-wrap: anywhere }
@media print {
  body { margin: 0; max-width: none } a { color: inherit } section { break-inside: avoid-page }
}
"""

CSV_COLUMNS = (
    "passage_start",
    "passage_end",
    "passage",
    "comment_id",
    "author",
    "organisation",
    "comment",
    "created_at",
    "response",
    "reason",
)


def csv_text(report: dict[str, Any]) -> str:
    """One row per comment, in the report's order; UTF-8 with a BOM for spreadsheets."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for group in report["passages"]:
        for c in group["comments"]:
            writer.writerow(
                [
                    "" if group["start"] is None else group["start"],
                    "" if group["end"] is None else group["end"],
                    group["text"] if group["text"] is not None else c["quote"],
                    c["id"],
                    c["author_display_name"] or c["author"] or "",
                    c["organisation_name"] or "",
                    c["body"],
                    c["created_at"],
                    c["response"] or "",
                    c["reason"] or "",
                ]
            )
    return out.getvalue()


def html_page(report: dict[str, Any], sha256: str, locale: str, *, url: str) -> str:
    """A standalone, printable page: the report with its counts and hash."""
    t = translator(locale, "consultations")
    proposal, counts = report["proposal"], report["counts"]
    title = f"{t.gettext('Consultation report')}: {proposal['title']}"
    rows = "".join(
        f"<tr><th scope='row'>{escape(label)}</th><td>{counts[key]}</td></tr>"
        for key, label in (
            ("comments", t.gettext("Comments")),
            ("accepted", t.gettext("Accepted")),
            ("partly_accepted", t.gettext("Partly accepted")),
            ("not_accepted", t.gettext("Not accepted")),
            ("people", t.gettext("People")),
            ("organisations", t.gettext("Organisations")),
        )
    )
    count = counts["comments"]
    summary = t.ngettext("{count} comment", "{count} comments", count).format(count=count)
    period = t.format(
        "Open from {opened} to {closes}",
        opened=report["consultation"]["opened_at"][:10],
        closes=report["consultation"]["closes_at"][:10],
    )
    sections = []
    for group in report["passages"]:
        heading = (
            escape(t.gettext("Passages since removed from the text"))
            if group["start"] is None
            else f"<q>{escape(group['text'])}</q>"
        )
        items = "".join(
            "<li class='comment'>"
            f"<p class='who'><strong>{escape(_who(c))}</strong>, "
            f"<time datetime='{escape(c['created_at'])}'>{escape(c['created_at'][:10])}</time></p>"
            f"<blockquote>{escape(c['body'])}</blockquote>"
            f"<p class='response response-{escape(c['response'] or 'none')}'>"
            f"<strong>{escape(_response(t, c['response']))}</strong>: "
            f"{escape(c['reason'] or '')}</p>"
            "</li>"
            for c in group["comments"]
        )
        sections.append(f"<section><h2>{heading}</h2><ol>{items}</ol></section>")
    return f"""<!doctype html>
<html lang="{escape(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(title)}">
<meta property="og:url" content="{escape(url)}">
<meta property="og:description" content="{escape(summary)}">
<meta name="twitter:card" content="summary">
<style>{PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
<p>{escape(period)}</p>
<table><caption>{escape(t.gettext("Counts"))}</caption>{rows}</table>
{"".join(sections)}
<p class="hash">{escape(t.gettext("Report SHA-256"))}: {escape(sha256)}</p>
</main>
</body>
</html>
"""
