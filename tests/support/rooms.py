"""People, rooms and room documents for access tests, made through the services."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.policy import Role, Visibility
from server.rooms.commands import NewRoom
from server.rooms.service import RoomView
from server.services import Services
from storage.accounts import StoredUser
from storage.models import utc_now
from tests.support.server import RunningServer

# every kind of caller the policy knows, plus a token that is no token
MEMBERS = (Role.OWNER, Role.MODERATOR, Role.PARTICIPANT, Role.OBSERVER)
CALLERS = ("anonymous", "bad-token", "outsider", *(role.value for role in MEMBERS))


def services_of(server: RunningServer) -> Services:
    services: Services = server.app.state.services  # type: ignore[attr-defined]
    return services


@dataclass
class People:
    """One user per role name (plus ``outsider``), each with an API token."""

    users: dict[str, StoredUser] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, caller: str) -> str | None:
        if caller == "anonymous":
            return None
        if caller == "bad-token":
            return "vch_not-a-token"
        return self.tokens[caller]


async def make_people(services: Services) -> People:
    """Users without passwords (skips argon2), each with one API token."""
    people = People()
    for name in ("outsider", *(role.value for role in MEMBERS)):
        await add_person(services, people, name)
    return people


async def add_person(
    services: Services, people: People, name: str, *, display_name: str | None = None
) -> StoredUser:
    """One more user without a password, with an API token, among ``people`` (shown as
    ``display_name``, by default the name in title case)."""
    user = await services.accounts.store.create_user(
        name,
        display_name=display_name or name.title(),
        locale="bg",
        password_hash=None,
        is_admin=False,
        created_at=utc_now(),
    )
    _, secret = await services.accounts.issue_api_token(user, "tests")
    people.users[name], people.tokens[name] = user, secret
    return user


async def add_participants(
    services: Services, view: RoomView, people: People, names: tuple[str, ...]
) -> None:
    """New users, made participants of the room of ``view``."""
    for name in names:
        await add_person(services, people, name)
        await services.rooms.set_member(view, name, Role.PARTICIPANT.value, None)


async def make_room(
    services: Services,
    people: People,
    slug: str,
    *,
    visibility: str,
    documents: tuple[str, ...] = (),
    archived: bool = False,
) -> RoomView:
    """A room of ``owner`` with the moderator, participant and observer as members."""
    rooms = services.rooms
    view = await rooms.create(
        people.users["owner"], NewRoom(slug=slug, visibility=Visibility(visibility)), None
    )
    for role in (Role.MODERATOR, Role.PARTICIPANT, Role.OBSERVER):
        await rooms.set_member(view, role.value, role.value, None)
    for name in documents:
        await rooms.create_document(view, name, None)
    if archived:
        await rooms.archive(view, None)
    return view


async def bearer_headers(
    server: RunningServer, locales: dict[str, str], *, admins: tuple[str, ...] = ()
) -> dict[str, dict[str, str]]:
    """One user per name (in its locale; administrators among ``admins``), without a
    password, and the `Authorization` header of an API token of each."""
    accounts = services_of(server).accounts
    headers = {}
    for name, locale in locales.items():
        user = await accounts.store.create_user(
            name,
            display_name=name.title(),
            locale=locale,
            password_hash=None,
            is_admin=name in admins,
            created_at=utc_now(),
        )
        _, secret = await accounts.issue_api_token(user, "tests")
        headers[name] = {"Authorization": f"Bearer {secret}"}
    return headers
