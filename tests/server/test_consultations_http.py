"""A public consultation end to end over HTTP, on SQLite and PostgreSQL: publishing (the
14-day minimum, a reason under 30), anonymous reading of a private room's draft, comments from
a person and on behalf of an organisation, the text edited meanwhile with the comments still
anchored, the deadline reached (time injected), responses, the report in every format, its
hash in the room's decision chain and `veche decisions verify` passing."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pycrdt import Text

from client import DocumentClient
from server.settings import Settings
from storage.models import utc_now
from tests.server.test_auth_http import KEY, assert_problem
from tests.server.test_cli import clean_env, run_veche
from tests.support.rooms import bearer_headers, services_of
from tests.support.server import RunningServer, serve_in_process

TEXT = "Член 1. Общината събира такса.\nЧлен 2. Таксата е 5 лева."


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    settings = Settings(database_url=database_url, secret_key=KEY)
    async with serve_in_process(settings) as running:
        yield running


@pytest.fixture
async def auth(server: RunningServer) -> dict[str, dict[str, str]]:
    return await bearer_headers(server, {"owner": "bg", "anna": "bg", "boris": "bg"})


async def _edit(server: RunningServer, document: str, token: str, at: int, text: str) -> None:
    async with DocumentClient(server.yjs, document, token=token) as client:
        client.doc.get("content", type=Text).insert(at, text)
        await client.wait_saved()


async def test_a_consultation_from_publishing_to_its_report_in_the_chain(
    server: RunningServer, auth: dict[str, dict[str, str]], database_url: str, tmp_path: Any
) -> None:
    owner_token = auth["owner"]["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(base_url=server.http + "/api/v1") as http:
        room = {"slug": "obshtina", "title": "Община", "visibility": "private"}
        assert (await http.post("/rooms", json=room, headers=auth["owner"])).status_code == 201
        proposal = (
            await http.post(
                "/rooms/obshtina/proposals",
                json={"title": "Наредба за таксите"},
                headers=auth["owner"],
            )
        ).json()
        await _edit(server, proposal["document"], owner_token, 0, TEXT)
        path = f"/rooms/obshtina/proposals/{proposal['id']}/consultation"

        now = utc_now()
        too_short = {"closes_at": (now + timedelta(days=10)).isoformat(), "reason": "спешно"}
        for language, detail in (
            ("bg", "closes_at: консултацията трае най-малко 14 дни, а не 10"),
            ("en", "closes_at: a consultation lasts at least 14 days, not 10"),
        ):
            headers = auth["owner"] | {"Accept-Language": language}
            refused = await http.post(path, json=too_short, headers=headers)
            problem = assert_problem(refused, 422, "invalid-parameter")
            assert (problem["parameter"], problem["detail"]) == ("closes_at", detail)
        short = {"closes_at": (now + timedelta(days=20)).isoformat()}
        unexplained = await http.post(path, json=short, headers=auth["owner"])
        assert assert_problem(unexplained, 422, "invalid-parameter")["parameter"] == "reason"
        reason = "Законът влиза в сила на 1 януари."
        not_owner = await http.post(path, json={}, headers=auth["anna"])
        assert not_owner.status_code == 404  # a private room: anna cannot know of it
        concerns = {"oblast": "SML", "sectors": ["governance"]}
        opened = await http.post(
            path, json=short | concerns | {"reason": reason}, headers=auth["owner"]
        )
        assert opened.status_code == 201, opened.text
        consultation = opened.json()
        assert (consultation["state"], consultation["reason"]) == ("open", reason)
        assert (consultation["oblast"], consultation["sectors"]) == ("SML", ["governance"])
        again = await http.post(path, json={}, headers=auth["owner"])
        assert_problem(again, 409, "consultation-exists")
        of_proposal = await http.get(path, headers=auth["owner"])
        assert of_proposal.json()["id"] == consultation["id"]
        other = (
            await http.post(
                "/rooms/obshtina/proposals", json={"title": "Друго"}, headers=auth["owner"]
            )
        ).json()
        none = await http.get(
            f"/rooms/obshtina/proposals/{other['id']}/consultation", headers=auth["owner"]
        )
        assert_problem(none, 404, "consultation-not-found")
        here = f"/consultations/{consultation['id']}"

        # anyone reads it, the room being private notwithstanding
        public = (await http.get(here)).json()
        assert public["text"] == TEXT
        listed = (await http.get("/consultations")).json()["consultations"]
        assert [c["id"] for c in listed] == [consultation["id"]]

        # boris represents an organisation; anna speaks for herself
        org = {"name": "Сдружение Данъкоплатци", "kind": "ngo", "municipality": "SML31"}
        organisation = (
            await http.post("/directory/organisations", json=org, headers=auth["boris"])
        ).json()["slug"]
        first = {"start": 0, "end": 7, "body": "Кой събира таксата?"}
        second = {"start": 31, "end": 38, "body": "5 лева са много.", "organisation": organisation}
        assert (await http.post(here + "/comments", json=first)).status_code == 401
        foreign = await http.post(
            here + "/comments", json=first | {"organisation": organisation}, headers=auth["anna"]
        )
        assert_problem(foreign, 403, "directory-forbidden")
        one = await http.post(here + "/comments", json=first, headers=auth["anna"])
        two = await http.post(here + "/comments", json=second, headers=auth["boris"])
        assert (one.status_code, two.status_code) == (201, 201), two.text
        assert two.json()["organisation_name"] == "Сдружение Данъкоплатци"
        beyond = await http.post(
            here + "/comments", json={"start": 0, "end": 999, "body": "x"}, headers=auth["anna"]
        )
        assert assert_problem(beyond, 422, "invalid-parameter")["parameter"] == "end"

        # the text changes during the consultation: the comments follow their passages
        await _edit(server, proposal["document"], owner_token, 0, "Преамбюл. ")
        comments = (await http.get(here + "/comments")).json()["comments"]
        assert [(c["start"], c["end"], c["quote"]) for c in comments] == [
            (10, 17, "Член 1."),
            (41, 48, "Член 2."),
        ]

        early = await http.post(here + "/report", headers=auth["owner"])
        assert_problem(early, 409, "consultation-open")

        # the deadline passes (the clock is moved, nobody sleeps): closed once, comments refused
        consultations = services_of(server).consultations
        consultations.clock = lambda: utc_now() + timedelta(days=21)
        closed = await consultations.close_due()
        assert [c.id for c in closed] == [consultation["id"]]
        assert await consultations.close_due() == []  # exactly once
        late = await http.post(here + "/comments", json=first, headers=auth["anna"])
        assert_problem(late, 409, "consultation-closed")

        answer = {"response": "accepted", "reason": "Уточнено в чл. 1."}
        ids = [c["id"] for c in comments]
        stranger = await http.put(
            f"{here}/comments/{ids[0]}/response", json=answer, headers=auth["anna"]
        )
        assert stranger.status_code == 404  # not a member of the private room
        answered = await http.put(
            f"{here}/comments/{ids[0]}/response", json=answer, headers=auth["owner"]
        )
        assert answered.json()["response"] == "accepted"
        missing = await http.post(here + "/report", headers=auth["owner"])
        assert assert_problem(missing, 409, "comments-unanswered")["comments"] == [ids[1]]
        refusal = {"response": "not_accepted", "reason": "Таксата покрива разходите."}
        await http.put(f"{here}/comments/{ids[1]}/response", json=refusal, headers=auth["owner"])
        published = await http.post(here + "/report", headers=auth["owner"])
        assert published.status_code == 201, published.text
        assert published.json()["state"] == "reported"
        twice = await http.post(here + "/report", headers=auth["owner"])
        assert twice.status_code == 409
        final = await http.put(
            f"{here}/comments/{ids[1]}/response", json=answer, headers=auth["owner"]
        )
        assert_problem(final, 409, "consultation-reported")

        report = (await http.get(here + "/report")).json()
        sha = report.pop("sha256")
        assert report["counts"] == {
            "comments": 2,
            "accepted": 1,
            "partly_accepted": 0,
            "not_accepted": 1,
            "people": 1,
            "organisations": 1,
        }
        assert [(p["text"], [c["body"] for c in p["comments"]]) for p in report["passages"]] == [
            ("Член 1.", ["Кой събира таксата?"]),
            ("Член 2.", ["5 лева са много."]),
        ]
        assert report["passages"][1]["comments"][0]["organisation"] == organisation
        assert report["proposal"]["text"] == "Преамбюл. " + TEXT

        # the report is the room's decision record, and the chain verifies
        record = (
            await http.get(f"/rooms/obshtina/decisions/{report['position']}", headers=auth["owner"])
        ).json()
        assert record["sha256"] == sha
        canonical = services_of(server)
        stored = (await canonical.consultations.get(consultation["id"])).report_json
        assert stored is not None
        assert hashlib.sha256(stored.encode()).hexdigest() == sha
        chain = (await http.get("/rooms/obshtina/decision-chain", headers=auth["owner"])).json()
        assert (chain["intact"], chain["head_sha256"]) == (True, sha)

        md = await http.get(
            here + "/report", params={"format": "md"}, headers={"Accept-Language": "bg"}
        )
        assert md.headers["content-language"] == "bg"
        assert "# Справка за обществената консултация: Наредба за таксите" in md.text
        assert "«Член 1.»" in md.text
        assert "*Неприети*: Таксата покрива разходите." in md.text
        en = await http.get(
            here + "/report", params={"format": "md"}, headers={"Accept-Language": "en"}
        )
        assert "# Consultation report: Наредба за таксите" in en.text
        rows = (await http.get(here + "/report", params={"format": "csv"})).content.decode(
            "utf-8-sig"
        )
        assert len(rows.splitlines()) == 3
        page = await http.get(
            here + "/report", params={"format": "html"}, headers={"Accept-Language": "bg"}
        )
        assert '<html lang="bg">' in page.text
        assert '<meta property="og:title"' in page.text
        assert "2 коментара" in page.text
        assert sha in page.text

    env = clean_env() | {"VECHE_DATABASE_URL": database_url}
    code, output = await run_veche("decisions", "verify", "obshtina", cwd=tmp_path, env=env)
    assert code == 0, output
    assert f"chain intact, head {sha}" in output
