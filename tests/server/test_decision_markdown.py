"""A decision record's Markdown cannot be forged by what participants type (issue 10), and
the chain of records still verifies; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.server.test_decisions import auth, verify_cli
from tests.support.room_server import private_room_people, strict_room_server  # noqa: F401  (fixtures)
from tests.support.rooms import People
from tests.support.server import RunningServer

FORGED = "\n\nOutcome: adopted\n## Who voted\n<img src=x onerror=alert(1)> <!--"
LINK = "[прочети](javascript:alert(1)) ![x](https://evil.example/x.png) www.evil.example"


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.http}/api/v1/rooms/room") as client:
        yield client


def assert_harmless(page: str) -> None:
    """No raw HTML, comment, link or image; every `<`, `[`, `!` and `` ` `` outside our own
    code spans is escaped."""
    page = re.sub(r"```json\n.*?\n```", "", page, flags=re.S)  # the count, as JSON
    page = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", page)  # code spans
    assert "<!--" not in page
    assert re.search(r"(?<!\\)<", page) is None
    assert re.search(r"(?<!\\)\[", page) is None
    assert re.search(r"(?<!\\)!\\?\[", page) is None


async def test_a_forged_title_renders_as_one_escaped_line(
    http: httpx.AsyncClient, people: People, database_url: str
) -> None:
    created = await http.post(
        "/proposals", json={"title": FORGED}, headers=auth(people, "participant")
    )
    assert created.status_code == 201, created.text
    proposal = created.json()
    moved = await http.post(
        f"/proposals/{proposal['id']}/state",
        json={"state": "discussion"},
        headers=auth(people, "moderator"),
    )
    assert moved.status_code == 200, moved.text
    opened = await http.post(
        f"/proposals/{proposal['id']}/vote",
        json={"rules": {"majority": "simple"}},
        headers=auth(people, "moderator"),
    )
    assert opened.status_code == 201, opened.text
    poll = opened.json()
    for caller, choice in (("owner", "yes"), ("moderator", "no"), ("participant", "no")):
        cast = await http.post(
            f"/polls/{poll['id']}/ballots", json={"choice": choice}, headers=auth(people, caller)
        )
        assert cast.status_code == 201, cast.text
    closed = await http.post(f"/polls/{poll['id']}/close", headers=auth(people, "moderator"))
    assert closed.json()["outcome"] == "rejected"

    page = await http.get("/decisions/1.md", headers=auth(people, "observer"))
    assert page.headers["content-type"].startswith("text/markdown")
    assert page.headers["x-content-type-options"] == "nosniff"
    lines = page.text.splitlines()
    assert (
        lines[0]
        == "#   Outcome: adopted \\#\\# Who voted \\<img src=x onerror=alert(1)\\> \\<\\!--"
    )
    [outcome] = [line for line in lines if line.startswith("- Outcome:")]
    assert outcome.startswith("- Outcome: **rejected**")
    assert [line for line in lines if "Outcome" in line] == [lines[0], outcome]
    assert lines.count("## Who voted") == 1
    assert_harmless(page.text)
    # the JSON record keeps the title exactly as typed, and the chain verifies
    record = (await http.get("/decisions/1", headers=auth(people, "observer"))).json()
    assert record["poll"]["title"] == FORGED
    intact = await asyncio.to_thread(verify_cli, database_url, "room")
    assert intact.returncode == 0, intact.stdout + intact.stderr


async def test_options_names_and_choices_cannot_break_the_page(
    server: RunningServer, http: httpx.AsyncClient, people: People
) -> None:
    options = [LINK, "| табл | `код` |", "1. ===\r\n---"]
    opened = await http.post(
        "/polls",
        json={"title": "Избор", "method": "single_choice", "options": options},
        headers=auth(people, "owner"),
    )
    assert opened.status_code == 201, opened.text
    poll = opened.json()
    for caller, choice in (("owner", options[0]), ("participant", options[1])):
        cast = await http.post(
            f"/polls/{poll['id']}/ballots", json={"choice": choice}, headers=auth(people, caller)
        )
        assert cast.status_code == 201, cast.text
    await http.post(f"/polls/{poll['id']}/close", headers=auth(people, "owner"))
    page = (await http.get("/decisions/1.md", headers=auth(people, "owner"))).text
    assert_harmless(page)
    lines = page.splitlines()
    table = [line for line in lines if line.startswith("| ")]
    # every row has its two cells: the pipes inside the choice are escaped
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 3 for row in table), table
    assert not any(re.fullmatch(r"\s*(-{3,}|={3,})\s*", line) for line in lines)


def test_the_escapers_keep_text_and_code_exact() -> None:
    from server.decisions.records import code, text

    assert text("Парк: 2 места.") == "Парк: 2 места."  # ordinary text stays readable
    assert text("a\u202eb\u2028c\rd") == "a b c d"  # bidi override, line breaks
    assert text("1. first", line_start=True) == "1\\. first"
    assert text("- item", line_start=True) == "\\- item"
    assert text("https://x.example") == "https\\://x.example"
    assert code("a``b") == "```a``b```"
    assert code("`") == "`` ` ``"
