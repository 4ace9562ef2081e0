"""Rooms, membership, invitations and room audit over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from server.services import Services
from server.settings import Settings
from storage.models import utc_now
from tests.server.test_auth_http import KEY, assert_problem, bearer
from tests.support.server import RunningServer, serve_in_process

NAMES = ("owner", "moderator", "participant", "observer", "outsider")


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    async with serve_in_process(Settings(database_url=database_url, secret_key=KEY)) as running:
        yield running


def _services(server: RunningServer) -> Services:
    services: Services = server.app.state.services  # type: ignore[attr-defined]
    return services


@pytest.fixture
async def tokens(server: RunningServer) -> dict[str, dict[str, str]]:
    """An API token per user; users are made without passwords to skip argon2."""
    accounts = _services(server).accounts
    headers = {}
    for name in NAMES:
        user = await accounts.store.create_user(
            name,
            display_name=name.title(),
            locale="en",
            password_hash=None,
            is_admin=False,
            created_at=utc_now(),
        )
        _, secret = await accounts.issue_api_token(user, "test")
        headers[name] = bearer(secret)
    return headers


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http) as client:
        yield client


async def make_room(
    http: httpx.AsyncClient, tokens: dict[str, dict[str, str]], slug: str, visibility: str
) -> None:
    """A room of `owner` with the moderator, participant and observer as members."""
    created = await http.post(
        "/api/v1/rooms",
        json={"slug": slug, "title": slug.title(), "visibility": visibility},
        headers=tokens["owner"],
    )
    assert created.status_code == 201, created.text
    for role in ("moderator", "participant", "observer"):
        added = await http.put(
            f"/api/v1/rooms/{slug}/members/{role}", json={"role": role}, headers=tokens["owner"]
        )
        assert added.status_code == 201, added.text


async def room_actions(server: RunningServer, slug: str) -> list[str]:
    room = await _services(server).rooms.store.find_room(slug)
    assert room is not None
    events = await _services(server).audit.page(room_id=room.id, limit=200)
    return [e.action for e in reversed(events)]


CALLERS = ("anonymous", "outsider", "observer", "participant", "moderator", "owner")


async def _as(
    http: httpx.AsyncClient,
    tokens: dict[str, dict[str, str]],
    who: str,
    method: str,
    url: str,
    body: Any = None,
) -> httpx.Response:
    headers = {} if who == "anonymous" else tokens[who]
    return await http.request(method, url, json=body, headers=headers)


# The HTTP face of the policy matrix (tests/server/test_policy.py): status per caller.
#                 request                                         public        private
HTTP_MATRIX: list[tuple[str, str, dict[str, str] | None, tuple[int, ...], tuple[int, ...]]] = [
    ("GET", "", None, (200,) * 6, (404, 404, 200, 200, 200, 200)),
    ("GET", "/members", None, (200,) * 6, (404, 404, 200, 200, 200, 200)),
    (
        "PATCH",
        "",
        {"title": "T"},
        (401, 403, 403, 403, 403, 200),
        (404, 404, 403, 403, 403, 200),
    ),
    (
        "POST",
        "/documents",
        {"name": "{slug}-doc-{who}"},
        (401, 403, 403, 201, 201, 201),
        (404, 404, 403, 201, 201, 201),
    ),
    (
        "POST",
        "/invitations",
        {"role": "participant"},
        (401, 403, 403, 403, 201, 201),
        (404, 404, 403, 403, 201, 201),
    ),
    (
        "GET",
        "/invitations",
        None,
        (401, 403, 403, 403, 200, 200),
        (404, 404, 403, 403, 200, 200),
    ),
    # the right to revoke comes before the invitation is looked for
    (
        "DELETE",
        "/invitations/999999",
        None,
        (401, 403, 403, 403, 404, 404),
        (404, 404, 403, 403, 404, 404),
    ),
    ("GET", "/audit", None, (401, 403, 403, 403, 403, 200), (404, 404, 403, 403, 403, 200)),
    (
        "PUT",
        "/members/outsider",
        {"role": "observer"},
        (401, 403, 403, 403, 201, 200),
        (404, 404, 403, 403, 201, 200),
    ),
]


@pytest.mark.parametrize("visibility", ["public", "private"])
async def test_the_http_matrix(
    http: httpx.AsyncClient, tokens: dict[str, dict[str, str]], visibility: str
) -> None:
    slug = f"r-{visibility}"
    await make_room(http, tokens, slug, visibility)
    for method, path, body, public, private in HTTP_MATRIX:
        expected = public if visibility == "public" else private
        for who, status in zip(CALLERS, expected, strict=True):
            sent = (
                None if body is None else {k: v.format(slug=slug, who=who) for k, v in body.items()}
            )
            response = await _as(http, tokens, who, method, f"/api/v1/rooms/{slug}{path}", sent)
            assert response.status_code == status, (method, path, who, response.text)
            if status >= 400:
                assert response.headers["content-type"] == "application/problem+json"
    # the last row made the outsider an observer, so it goes last; a hidden room answers
    # exactly like an unknown one
    unknown = await http.get("/api/v1/rooms/no-such-room", headers=tokens["participant"])
    assert_problem(unknown, 404, "room-not-found")


async def test_create_list_update_and_archive(
    server: RunningServer, http: httpx.AsyncClient, tokens: dict[str, dict[str, str]]
) -> None:
    await make_room(http, tokens, "open", "public")
    await make_room(http, tokens, "closed", "private")
    listed = await http.get("/api/v1/rooms", headers=tokens["outsider"])
    assert [r["slug"] for r in listed.json()["rooms"]] == ["open"]
    mine = await http.get("/api/v1/rooms", headers=tokens["observer"])
    assert [(r["slug"], r["role"]) for r in mine.json()["rooms"]] == [
        ("closed", "observer"),
        ("open", "observer"),
    ]
    assert [r["slug"] for r in (await http.get("/api/v1/rooms")).json()["rooms"]] == ["open"]
    taken = await http.post("/api/v1/rooms", json={"slug": "open"}, headers=tokens["outsider"])
    assert_problem(taken, 409, "room-exists")
    bad = await http.post("/api/v1/rooms", json={"slug": "Bad Slug"}, headers=tokens["owner"])
    assert_problem(bad, 422, "invalid-parameter")
    assert_problem(await http.post("/api/v1/rooms", json={"slug": "x"}), 401, "unauthorized")

    patched = await http.patch(
        "/api/v1/rooms/closed",
        json={"title": "Съвет", "visibility": "public"},
        headers=tokens["owner"],
    )
    assert patched.json()["title"] == "Съвет"
    assert (await http.get("/api/v1/rooms/closed")).status_code == 200

    assert (
        await http.post("/api/v1/rooms/closed/archive", headers=tokens["owner"])
    ).status_code == 204
    room = (await http.get("/api/v1/rooms/closed", headers=tokens["participant"])).json()
    assert room["archived_at"] is not None
    for who, method, path, body in (
        ("owner", "PATCH", "", {"title": "again"}),
        ("participant", "POST", "/documents", {"name": "late"}),
        ("moderator", "POST", "/invitations", {"role": "observer"}),
        ("owner", "DELETE", "/members/observer", None),
    ):
        response = await _as(http, tokens, who, method, f"/api/v1/rooms/closed{path}", body)
        assert_problem(response, 403, "room-archived")
    assert (
        await http.get("/api/v1/rooms/closed/audit", headers=tokens["owner"])
    ).status_code == 200
    # listing invitations is a read: still allowed to those who could invite
    invitations = await http.get("/api/v1/rooms/closed/invitations", headers=tokens["moderator"])
    assert invitations.status_code == 200
    assert_problem(
        await http.get("/api/v1/rooms/closed/invitations", headers=tokens["participant"]),
        403,
        "forbidden",
    )
    assert await room_actions(server, "closed") == [
        "room.created",
        "member.added",
        "member.added",
        "member.added",
        "room.updated",
        "room.archived",
    ]


async def test_members_roles_and_the_owner_rules(
    server: RunningServer, http: httpx.AsyncClient, tokens: dict[str, dict[str, str]]
) -> None:
    await make_room(http, tokens, "team", "private")
    url = "/api/v1/rooms/team/members"
    as_moderator = tokens["moderator"]
    promote = await http.put(f"{url}/participant", json={"role": "owner"}, headers=as_moderator)
    assert_problem(promote, 403, "forbidden")
    demote = await http.put(f"{url}/owner", json={"role": "observer"}, headers=as_moderator)
    assert_problem(demote, 403, "forbidden")
    assert_problem(await http.delete(f"{url}/owner", headers=as_moderator), 403, "forbidden")
    last = await http.put(f"{url}/owner", json={"role": "observer"}, headers=tokens["owner"])
    assert_problem(last, 409, "last-owner")
    changed = await http.put(f"{url}/observer", json={"role": "participant"}, headers=as_moderator)
    assert changed.status_code == 200
    assert changed.json()["role"] == "participant"
    bad = await http.put(f"{url}/observer", json={"role": "king"}, headers=as_moderator)
    assert_problem(bad, 422, "invalid-parameter")
    nobody = await http.put(f"{url}/nobody", json={"role": "observer"}, headers=as_moderator)
    assert_problem(nobody, 422, "invalid-parameter")
    assert (await http.delete(f"{url}/observer", headers=as_moderator)).status_code == 204
    assert_problem(
        await http.delete(f"{url}/observer", headers=as_moderator), 404, "member-not-found"
    )
    # a removed member is an outsider again: the private room is hidden from them
    assert_problem(
        await http.get("/api/v1/rooms/team", headers=tokens["observer"]), 404, "room-not-found"
    )
    listed = (await http.get(url, headers=tokens["participant"])).json()["members"]
    assert [(m["name"], m["role"]) for m in listed] == [
        ("moderator", "moderator"),
        ("owner", "owner"),
        ("participant", "participant"),
    ]
    audit = (await http.get("/api/v1/rooms/team/audit", headers=tokens["owner"])).json()
    assert [e["action"] for e in audit["events"]][:2] == ["member.removed", "member.role_changed"]
    assert audit["events"][1]["details"]["previous"] == "observer"


async def test_invitations_are_shown_once_used_once_and_expire(
    server: RunningServer, http: httpx.AsyncClient, tokens: dict[str, dict[str, str]]
) -> None:
    await make_room(http, tokens, "club", "private")
    url = "/api/v1/rooms/club/invitations"
    owner_invite = await http.post(url, json={"role": "owner"}, headers=tokens["moderator"])
    assert_problem(owner_invite, 403, "forbidden")
    invited = await http.post(
        url, json={"role": "participant", "expires_in": 3600}, headers=tokens["moderator"]
    )
    assert invited.status_code == 201
    assert invited.headers["cache-control"] == "no-store"
    token = invited.json()["token"]
    assert token.startswith("vci_")

    accept = f"/api/v1/invitations/{token}/accept"
    assert_problem(await http.post(accept), 401, "unauthorized")
    assert_problem(await http.post(accept, headers=tokens["observer"]), 409, "already-a-member")
    joined = await http.post(accept, headers=tokens["outsider"])
    assert joined.status_code == 200
    assert (joined.json()["slug"], joined.json()["role"]) == ("club", "participant")
    assert (await http.get("/api/v1/rooms/club", headers=tokens["outsider"])).status_code == 200
    reused = await http.post(accept, headers=tokens["outsider"])
    assert_problem(reused, 410, "invitation-used")
    unknown = await http.post("/api/v1/invitations/vci_nope/accept", headers=tokens["outsider"])
    assert_problem(unknown, 404, "invitation-not-found")

    short = await http.post(
        url, json={"role": "observer", "expires_in": 1}, headers=tokens["owner"]
    )
    rooms = _services(server).rooms
    rooms.clock = lambda: utc_now() + timedelta(seconds=2)
    late = await http.post(
        f"/api/v1/invitations/{short.json()['token']}/accept", headers=tokens["owner"]
    )
    assert_problem(late, 410, "invitation-expired")
    bad = await http.post(url, json={"expires_in": 0}, headers=tokens["owner"])
    assert_problem(bad, 422, "invalid-parameter")

    events = await _services(server).audit.page(limit=20)
    accepted = next(e for e in events if e.action == "invitation.accepted")
    assert accepted.details["role"] == "participant"
    assert (await room_actions(server, "club"))[-3:] == [
        "invitation.created",
        "invitation.accepted",
        "invitation.created",
    ]


async def test_invitations_are_listed_without_tokens_and_revoked(
    server: RunningServer, http: httpx.AsyncClient, tokens: dict[str, dict[str, str]]
) -> None:
    await make_room(http, tokens, "club", "private")
    await make_room(http, tokens, "other", "private")
    url = "/api/v1/rooms/club/invitations"

    async def invite(who: str, role: str, expires_in: int = 3600) -> dict[str, Any]:
        made = await http.post(
            url, json={"role": role, "expires_in": expires_in}, headers=tokens[who]
        )
        assert made.status_code == 201, made.text
        invitation: dict[str, Any] = made.json()
        return invitation

    pending = await invite("moderator", "participant")
    owners = await invite("owner", "owner")
    short = await invite("owner", "observer", expires_in=1)
    used = await invite("moderator", "observer")
    joined = await http.post(
        f"/api/v1/invitations/{used['token']}/accept", headers=tokens["outsider"]
    )
    assert joined.status_code == 200
    elsewhere = (
        await http.post("/api/v1/rooms/other/invitations", json={}, headers=tokens["owner"])
    ).json()
    rooms = _services(server).rooms
    rooms.clock = lambda: utc_now() + timedelta(seconds=2)

    listing = await http.get(url, headers=tokens["moderator"])
    assert listing.status_code == 200
    for made in (pending, owners, short, used):
        assert made["token"] not in listing.text
    listed = listing.json()["invitations"]
    assert {key for i in listed for key in i} == {
        "id",
        "role",
        "created_by",
        "created_at",
        "expires_at",
        "used_by",
        "used_at",
        "revoked_at",
        "state",
    }
    assert [(i["id"], i["role"], i["created_by"], i["state"], i["used_by"]) for i in listed] == [
        (used["id"], "observer", "moderator", "used", "outsider"),
        (short["id"], "observer", "owner", "expired", None),
        (owners["id"], "owner", "owner", "pending", None),
        (pending["id"], "participant", "moderator", "pending", None),
    ]
    assert listed[0]["used_at"] is not None

    def revoke(who: str, invitation: object) -> Awaitable[httpx.Response]:
        return http.delete(f"{url}/{invitation}", headers=tokens.get(who, {}))

    assert_problem(await revoke("moderator", owners["id"]), 403, "forbidden")
    assert_problem(await revoke("participant", pending["id"]), 403, "forbidden")
    # a private room stays hidden, whatever the invitation (the outsider is a member now)
    assert_problem(await revoke("anonymous", pending["id"]), 404, "room-not-found")
    for unknown in (elsewhere["id"], "nope", "-1", "99999999999"):
        assert_problem(await revoke("owner", unknown), 404, "invitation-not-found")
    assert_problem(await revoke("moderator", used["id"]), 409, "invitation-used")
    for _ in range(2):
        assert (await revoke("moderator", pending["id"])).status_code == 204
    assert (await revoke("owner", owners["id"])).status_code == 204

    void = await http.post(
        f"/api/v1/invitations/{pending['token']}/accept", headers=tokens["outsider"]
    )
    assert_problem(void, 410, "invitation-revoked")
    relisted = (await http.get(url, headers=tokens["owner"])).json()["invitations"]
    assert [(i["state"], i["revoked_at"] is not None) for i in relisted] == [
        ("used", False),
        ("expired", False),
        ("revoked", True),
        ("revoked", True),
    ]
    events = await _services(server).audit.page(limit=50)
    revoked = [e.details for e in reversed(events) if e.action == "invitation.revoked"]
    assert revoked == [
        {"invitation_id": pending["id"], "role": "participant"},
        {"invitation_id": owners["id"], "role": "owner"},
    ]


async def test_room_documents_are_created_once_and_belong_to_the_room(
    server: RunningServer, http: httpx.AsyncClient, tokens: dict[str, dict[str, str]]
) -> None:
    await make_room(http, tokens, "drafts", "public")
    url = "/api/v1/rooms/drafts/documents"
    created = await http.post(url, json={"name": "устав"}, headers=tokens["participant"])
    assert created.status_code == 201
    again = await http.post(url, json={"name": "устав"}, headers=tokens["owner"])
    assert_problem(again, 409, "document-exists")
    assert_problem(
        await http.post(url, json={"name": ""}, headers=tokens["owner"]), 422, "invalid-parameter"
    )
    assert (await http.get("/api/v1/rooms/drafts")).json()["documents"] == ["устав"]
    document = await _services(server).log.find_document("устав")
    assert document is not None
    room = await _services(server).rooms.store.find_room("drafts")
    assert room is not None
    assert await _services(server).rooms.store.room_of_document(document.id) == room.id


async def test_an_invitation_dies_with_its_creators_right_to_invite(
    http: httpx.AsyncClient, tokens: dict[str, dict[str, str]]
) -> None:
    await make_room(http, tokens, "guild", "public")
    url = "/api/v1/rooms/guild/invitations"
    first = await http.post(url, json={"role": "observer"}, headers=tokens["moderator"])
    second = await http.post(url, json={"role": "observer"}, headers=tokens["owner"])
    demoted = await http.put(
        "/api/v1/rooms/guild/members/moderator",
        json={"role": "participant"},
        headers=tokens["owner"],
    )
    assert demoted.status_code == 200
    void = await http.post(
        f"/api/v1/invitations/{first.json()['token']}/accept", headers=tokens["outsider"]
    )
    assert_problem(void, 410, "invitation-revoked")
    assert (
        await http.post("/api/v1/rooms/guild/archive", headers=tokens["owner"])
    ).status_code == 204
    # the list says what accepting would meet: the demoted moderator's invitation is void
    # though nobody revoked it; the archive is the room's state, not the invitation's
    listed = (await http.get(url, headers=tokens["owner"])).json()["invitations"]
    assert [(i["created_by"], i["state"], i["revoked_at"]) for i in listed] == [
        ("owner", "pending", None),
        ("moderator", "revoked", None),
    ]
    archived = await http.post(
        f"/api/v1/invitations/{second.json()['token']}/accept", headers=tokens["outsider"]
    )
    assert_problem(archived, 403, "room-archived")
    revoke = await http.delete(f"{url}/{second.json()['id']}", headers=tokens["owner"])
    assert_problem(revoke, 403, "room-archived")
    listed = (await http.get("/api/v1/rooms/guild/members")).json()["members"]
    assert "outsider" not in [m["name"] for m in listed]
