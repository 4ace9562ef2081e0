"""The directory over HTTP: anonymous reading, signed-in writing, the import's answers and
the CSV export (the service's rules are tested in test_directory_service.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.directory.registration import with_check_digit
from tests.server.test_auth_http import assert_problem
from tests.support.rooms import bearer_headers, services_of
from tests.support.server import RunningServer

EIK = with_check_digit("17512934")
FILE = f"""name,kind,registration_number,oblast,municipality,sectors
Сдружение „Зелен Пловдив“,ngo,{EIK},Пловдив,Пловдив,environment;youth
Читалище „Родопска искра“,ngo,,Smolyan,Chepelare,culture
"""


@pytest.fixture
async def auth(server: RunningServer) -> dict[str, dict[str, str]]:
    people = {"admin": "bg", "ana": "bg", "boris": "bg"}
    return await bearer_headers(server, people, admins=("admin",))


@pytest.fixture
async def http(server: RunningServer) -> Any:
    async with httpx.AsyncClient(base_url=server.http + "/api/v1/directory") as client:
        yield client


async def test_import_dry_run_then_store_then_read_anonymously(
    http: httpx.AsyncClient, auth: dict[str, dict[str, str]]
) -> None:
    bad = FILE + "Грешен,ngo,123456789,,,\n"
    dry = await http.post("/imports", json={"csv": bad, "dry_run": True}, headers=auth["admin"])
    assert dry.status_code == 200
    assert dry.json() | {"invalid_rows": None} == {
        "dry_run": True,
        "valid": False,
        "rows": 3,
        "problems": [],
        "invalid_rows": None,
        "created": [],
    }
    assert dry.json()["invalid_rows"][0]["line"] == 4
    # the report in the language of the request
    for language, sentence in (
        (
            "bg",
            "registration_number: контролната цифра (деветата) не съвпада: някоя цифра е сгрешена",
        ),
        (
            "en",
            "registration_number: the check digit (the 9th) does not match: a digit is mistyped",
        ),
    ):
        headers = auth["admin"] | {"Accept-Language": language}
        report = await http.post("/imports", json={"csv": bad, "dry_run": True}, headers=headers)
        assert report.json()["invalid_rows"] == [{"line": 4, "errors": [sentence]}]
    refused = await http.post("/imports", json={"csv": bad}, headers=auth["admin"])
    problem = assert_problem(refused, 422, "import-refused")
    assert problem["rows"] == [{"line": 4, "errors": dry.json()["invalid_rows"][0]["errors"]}]
    denied = await http.post("/imports", json={"csv": FILE}, headers=auth["ana"])
    assert_problem(denied, 403, "directory-forbidden")
    anonymous = await http.post("/imports", json={"csv": FILE})
    assert anonymous.status_code == 401
    stored = await http.post("/imports", json={"csv": FILE}, headers=auth["admin"])
    assert stored.status_code == 201
    assert stored.json()["created"] == ["sdruzhenie-zelen-plovdiv", "chitalishte-rodopska-iskra"]

    page = (await http.get("/organisations", params={"q": "zelen"})).json()
    assert page["total"] == 1
    found = page["organisations"][0]
    assert found["municipality"] == {"code": "PDV22", "name": "Пловдив", "name_latin": "Plovdiv"}
    assert found["oblast"]["name_latin"] == "Plovdiv"
    assert found["sectors"] == ["environment", "youth"]
    assert found["verified"] is False
    profile = (await http.get("/organisations/chitalishte-rodopska-iskra")).json()
    assert profile["municipality"]["name"] == "Чепеларе"
    assert profile["representatives"] == []  # imported: nobody speaks for it yet
    missing = await http.get("/organisations/nobody")
    assert_problem(missing, 404, "organisation-not-found")
    bad_filter = await http.get("/organisations", params={"sector": "magic"})
    assert_problem(bad_filter, 422, "invalid-parameter")

    export = await http.get("/export", params={"q": "родоп"})
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in export.headers["content-disposition"]
    rows = export.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 2
    assert rows[1].startswith("Читалище „Родопска искра“,ngo,,SML,Чепеларе,")


async def test_create_edit_verify_and_represent(
    http: httpx.AsyncClient, auth: dict[str, dict[str, str]], server: RunningServer
) -> None:
    body = {"name": "Младежки съвет", "kind": "citizen_group", "municipality": "SML31"}
    created = await http.post("/organisations", json=body, headers=auth["ana"])
    assert created.status_code == 201, created.text
    slug = created.json()["slug"]
    assert [r["name"] for r in created.json()["representatives"]] == ["ana"]
    path = f"/organisations/{slug}"
    wrong = await http.post(
        "/organisations", json=body | {"registration_number": "1"}, headers=auth["boris"]
    )
    assert assert_problem(wrong, 422, "invalid-parameter")["parameter"] == "registration_number"

    edit = {"description": "Гласът на младите", "sectors": ["youth"]}
    assert (await http.patch(path, json=edit, headers=auth["boris"])).status_code == 403
    edited = await http.patch(path, json=edit, headers=auth["ana"])
    assert edited.json()["description"] == "Гласът на младите"
    assert (
        await http.put(path + "/verification", json={"verified": True}, headers=auth["ana"])
    ).status_code == 403
    verified = await http.put(
        path + "/verification", json={"verified": True}, headers=auth["admin"]
    )
    assert verified.json()["verified"] is True

    asked = await http.post(path + "/representatives", headers=auth["boris"])
    assert (asked.status_code, asked.json()) == (202, {"state": "pending"})
    boris = services_of(server)
    boris_id = (await boris.accounts.store.find_user("boris")).id  # type: ignore[union-attr]
    public = (await http.get(path + "/representatives")).json()
    assert [r["name"] for r in public] == ["ana"]
    listed = (await http.get(path + "/representatives", headers=auth["ana"])).json()
    assert [(r["name"], r["state"]) for r in listed] == [("ana", "confirmed"), ("boris", "pending")]
    confirmed = await http.put(f"{path}/representatives/{boris_id}", headers=auth["ana"])
    assert confirmed.status_code == 204
    mine = (await http.get("/mine", headers=auth["boris"])).json()
    assert [o["slug"] for o in mine["organisations"]] == [slug]
    again = await http.post(path + "/representatives", headers=auth["boris"])
    assert (again.status_code, again.json()) == (200, {"state": "confirmed"})
    gone = await http.delete(f"{path}/representatives/{boris_id}", headers=auth["boris"])
    assert gone.status_code == 204
    assert (await http.get("/mine", headers=auth["boris"])).json() == {"organisations": []}


async def test_reference_data(http: httpx.AsyncClient) -> None:
    terms = (await http.get("/terms")).json()
    assert [t["slug"] for t in terms["kinds"]][:2] == ["ngo", "business"]
    assert {"slug": "youth", "bg": "младежта", "en": "youth"} in terms["sectors"]
    regions = (await http.get("/regions")).json()
    assert (len(regions["oblasts"]), len(regions["municipalities"])) == (28, 265)
    assert {"code": "SML31", "name": "Смолян", "name_latin": "Smolyan", "oblast": "SML"} in regions[
        "municipalities"
    ]
