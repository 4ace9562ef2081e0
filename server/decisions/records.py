"""Decision records: what one says, its Markdown, and checking a room's chain of them.

A record is canonical JSON (storage.decision_chain.canonical_json) and its SHA-256 is stored beside
it; every record holds the hash of the room's previous one, so changing any record — or
removing, inserting or reordering one — breaks the chain at that point. `verify` recomputes it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from server.decisions.tally import Tally
from storage.decision_chain import StoredDecision, canonical_json
from storage.polls import Closing
from storage.proposals import StoredProposal

RECORD_VERSION = 1


def build_record(
    room_slug: str,
    closing: Closing,
    tally: Tally,
    names: dict[int, str],
    proposal: StoredProposal | None,
) -> dict[str, Any]:
    poll = closing.poll
    voters = sorted(names.get(user_id, f"#{user_id}") for user_id in closing.voters)
    record: dict[str, Any] = {
        "version": RECORD_VERSION,
        "room": room_slug,
        "position": closing.position,
        "previous_sha256": closing.previous_sha256,
        "poll": {
            "id": poll.id,
            "title": poll.title,
            "method": poll.method,
            "options": poll.options,
            "rules": poll.rules,
            "secret": poll.secret,
            "opened_at": poll.opens_at.isoformat(),
            "closes_at": None if poll.closes_at is None else poll.closes_at.isoformat(),
            "closed_at": closing.closed_at.isoformat(),
        },
        "proposal": None,
        "electorate_size": poll.electorate_size,
        "turnout": len(closing.voters),
        "voters": voters,
        "ballots": None
        if poll.secret
        else [
            {"voter": names.get(user_id, f"#{user_id}"), "choice": choice}
            for user_id, choice in sorted(
                closing.named.items(), key=lambda kv: names.get(kv[0], "")
            )
        ],
        "tally": tally.to_json(),
        "outcome": tally.outcome.value,
        "winners": list(tally.winners),
    }
    if proposal is not None:
        record["proposal"] = {
            "id": proposal.id,
            "title": proposal.title,
            "amends": proposal.amends_id,
            "text": poll.body_text,
            "text_sha256": poll.body_text_sha256,
            "state_sha256": poll.body_state_sha256,
            "state_vector": base64.b64encode(poll.body_state_vector or b"").decode(),
            "seq": poll.body_seq,
        }
    return record


def markdown(record: dict[str, Any], sha256: str) -> str:
    """The record for people: what was decided, on which text, by whom, how it was counted.

    Every string a person chose (titles, options, names, the text voted on) goes through
    `text` or `code` (docs/decisions.md): a title cannot add a line, a heading, HTML, a
    comment that hides what follows, or a link. The record's hash covers its JSON, not this
    page, so the escaping changes no hash.
    """
    if record.get("kind") == "consultation-report":
        return _report_markdown(record, sha256)
    poll = record["poll"]
    lines = [f"# {text(poll['title'])}", ""]
    proposal = record.get("proposal")
    winners = ", ".join(text(str(w)) for w in record["winners"])
    lines += [
        f"- Room: {code(record['room'])}, decision {record['position']}",
        f"- Outcome: **{text(record['outcome'])}**" + (f" — {winners}" if winners else ""),
        f"- Method: {code(poll['method'])}; options: "
        + ", ".join(text(str(o)) for o in poll["options"]),
        f"- Rules: {code(canonical_json(poll['rules']))}",
        f"- Ballots: {'secret' if poll['secret'] else 'named'}; turnout {record['turnout']}"
        f" of {record['electorate_size']}",
        f"- Opened {poll['opened_at']}, closed {poll['closed_at']}",
        f"- Record SHA-256: `{sha256}`; previous: `{record['previous_sha256'] or '—'}`",
        "",
    ]
    if proposal is not None:
        lines += [
            "## The text voted on",
            "",
            f"SHA-256 of the text `{proposal['text_sha256']}`, of the document state "
            f"`{proposal['state_sha256']}` (version {proposal['seq']}).",
            "",
            *(
                f"> {text(line, line_start=True)}" if line else ">"
                for line in (proposal["text"] or "").splitlines()
            ),
            "",
        ]
    voters = text(", ".join(record["voters"]), line_start=True)
    lines += ["## Who voted", "", voters or "nobody", ""]
    if record["ballots"] is not None:
        lines += ["| voter | choice |", "| --- | --- |"]
        lines += [
            f"| {text(b['voter'])} | {cell(canonical_json(b['choice']))} |"
            for b in record["ballots"]
        ]
        lines.append("")
    lines += ["## Count", "", "```json", canonical_json(record["tally"]), "```", ""]
    return "\n".join(lines)


def _report_markdown(record: dict[str, Any], sha256: str) -> str:
    """A consultation report in the chain: what it is about and its counts; the report
    itself is served by the consultation (docs/consultations.md)."""
    proposal, counts = record["proposal"], record["counts"]
    return "\n".join(
        [
            f"# Consultation report: {text(proposal['title'])}",
            "",
            f"- Room: {code(record['room'])}, decision {record['position']}",
            f"- Consultation {record['consultation']['id']}, open "
            f"{record['consultation']['opened_at']} to {record['consultation']['closes_at']}",
            f"- Comments: {counts['comments']}; accepted {counts['accepted']}, partly accepted "
            f"{counts['partly_accepted']}, not accepted {counts['not_accepted']}",
            f"- Text version {proposal['seq']}, SHA-256 `{proposal['text_sha256']}`",
            f"- Record SHA-256: `{sha256}`; previous: `{record['previous_sha256'] or '—'}`",
            "",
        ]
    )


# Characters with a meaning in CommonMark or GFM inline text: escapes, code, emphasis,
# links and images, raw HTML and comments, entities, table cells, strikethrough, headings.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~#!])")
# At the start of a line only (the rest is escaped above): list items, thematic breaks,
# setext underlines, ordered lists ("1." or "1)"). Indented code is harmless: it shows text
# as it is.
_LINE_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)([.)]))")
# GFM makes links of bare URLs and www. names
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<=\bwww)(\.)")


def _one_line(value: str) -> str:
    """Line breaks and other invisible controls (bidi overrides included) become spaces."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in value)


def text(value: str, *, line_start: bool = False) -> str:
    """``value`` as Markdown text that renders as exactly these characters, on one line."""
    escaped = _INLINE.sub(r"\\\1", _one_line(value))
    escaped = _AUTOLINK.sub(lambda m: "\\" + m.group(), escaped)
    if line_start:
        escaped = _LINE_START.sub(_escape_block_marker, escaped, count=1)
    return escaped


def _escape_block_marker(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    if marker is not None:
        return f"{indent}\\{marker}"
    return f"{indent}{number}\\{delimiter}"


def code(value: str) -> str:
    """``value`` as a code span, on one line; its fence is longer than any run of backticks in
    it (CommonMark), so nothing in it can end the span."""
    value = _one_line(value)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{padding}{value}{padding}{fence}"


def cell(value: str) -> str:
    """``value`` as a code span in a GFM table cell, where even a code span's `|` ends the
    cell unless it is escaped (GFM removes that backslash)."""
    return code(value).replace("|", "\\|")


@dataclass(frozen=True)
class ChainProblem:
    position: int
    problem: str


def verify(decisions: list[StoredDecision]) -> list[ChainProblem]:
    """Every break in a room's chain of records (in position order); empty when intact."""
    problems = []
    previous: str | None = None
    for expected, decision in enumerate(decisions, start=1):
        if decision.position != expected:
            problems.append(ChainProblem(decision.position, f"expected position {expected}"))
        digest = hashlib.sha256(decision.record_json.encode()).hexdigest()
        if digest != decision.record_sha256:
            problems.append(ChainProblem(decision.position, "the record does not match its hash"))
        record = decision.record
        if record.get("previous_sha256") != previous or decision.previous_sha256 != previous:
            problems.append(
                ChainProblem(decision.position, "the link to the previous record is broken")
            )
        if record.get("position") != decision.position:
            problems.append(ChainProblem(decision.position, "the record names another position"))
        previous = decision.record_sha256
    return problems
