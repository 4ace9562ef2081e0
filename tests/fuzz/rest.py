"""The REST target: fuzzed bodies posted to the real application, in process, on SQLite.

One `RestHarness` runs the Starlette app (its lifespan included) on an event loop of its own
thread, reached with httpx's ASGI transport, on a migrated SQLite database in a temporary
directory, with an owner, a participant and an outsider (API tokens), a public room `fuzz`
holding a document with text, and an open approval poll. `post_body` sends one body to one
endpoint and checks the answer and the database:

* the status is 2xx or 4xx, never 5xx; a 4xx is `application/problem+json` with its status;
* a refused request stores nothing: the row count of every table and the room's own row and
  members are as before (audit_events, room_events and live_sessions are left out: the
  audit trail records refused logins, and polls opened by earlier inputs close on their own).
  Votes open and close on their own only between inputs: the harness holds the deadline
  timer and runs what is due before each input (a vote closing during a refused login wrote
  its decision record, which looked like the login's), and documents are not unloaded
  (checkpointed) in the background;
* after an accepted request the resource listings still answer 200 (nothing stored that
  breaks reading it back).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
import threading
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pycrdt
from hypothesis import strategies as st

from server.app import create_app
from server.decisions.commands import NewPoll
from server.policy import Role, Visibility
from server.rooms.commands import NewRoom
from server.services import Services
from server.settings import Settings
from storage.models import utc_now
from storage.origins import Origin
from tests.fuzz import seeds
from tests.fuzz.catalog import Target
from tests.fuzz.strategies import dumps, json_objects, json_texts, json_values, mutated
from tests.fuzz.targets import FuzzFailure

_T = TypeVar("_T")
KEY = "fuzzing-signing-key-of-at-least-32-characters"
ROOM = "fuzz"
DOCUMENT = "fuzz-doc"
# Tables that change without the request being fuzzed (see the module docstring).
UNCOUNTED = frozenset({"audit_events", "room_events", "live_sessions", "alembic_version"})


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    caller: str | None  # whose token, None: anonymous
    # A GET that must still answer 200 after an accepted request: the resource made, where
    # the answer names it ({field} of the answer), not a listing, whose cost grows with every
    # accepted input (at ~500 polls, listing them takes over the 1 s deadline).
    read_back: str


ENDPOINTS: dict[str, Endpoint] = {
    "login": Endpoint("POST", "/api/v1/auth/login", None, "/healthz"),
    "room-create": Endpoint("POST", "/api/v1/rooms", "owner", "/api/v1/rooms/{slug}"),
    "member-put": Endpoint(
        "PUT", f"/api/v1/rooms/{ROOM}/members/outsider", "owner", f"/api/v1/rooms/{ROOM}/members"
    ),
    "comment-post": Endpoint(
        "POST",
        f"/api/v1/documents/{DOCUMENT}/comments",
        "participant",
        f"/api/v1/documents/{DOCUMENT}/comments",
    ),
    "proposal-create": Endpoint(
        "POST",
        f"/api/v1/rooms/{ROOM}/proposals",
        "owner",
        f"/api/v1/rooms/{ROOM}/proposals/{{id}}",
    ),
    "poll-create": Endpoint(
        "POST", f"/api/v1/rooms/{ROOM}/polls", "owner", f"/api/v1/rooms/{ROOM}/polls/{{id}}"
    ),
    "ballot-cast": Endpoint(
        "POST",
        f"/api/v1/rooms/{ROOM}/polls/1/ballots",
        "participant",
        f"/api/v1/rooms/{ROOM}/polls/1",
    ),
}

# Every field some endpoint reads, and values that some field accepts.
KEYS = (
    "name", "password", "slug", "title", "description", "visibility", "role", "body", "start",
    "end", "root", "document", "method", "options", "rules", "secret", "opens_in", "closes_in",
    "min_ballots", "allow_change", "choice", "receipt", "majority", "quorum", "ranked", "seats",
    "score_by",
)  # fmt: skip
ENUMS = (
    "owner", "moderator", "participant", "observer", "public", "members", "private",
    "yes_no_abstain", "single_choice", "approval", "ranked", "score", "stv", "irv", "schulze",
    "yes", "no", "abstain", "a", "b", "c", "content", "mean", "median", "after_close",
    "always", "after_vote",
)  # fmt: skip


class RestHarness:
    """The app on a fresh SQLite database, with the people and room the endpoints need."""

    def __init__(self, directory: Path) -> None:
        self.database = directory / "veche.db"
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{self.database}",
            secret_key=KEY,
            # documents stay in memory until the harness closes: one unloading 0.2 s after a
            # request wrote its checkpoint during a later request, which looked like its write
            unload_grace=3600.0,
        )
        self.app = create_app(settings)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._stack = AsyncExitStack()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://fuzz.test"
        )
        self.tokens: dict[str, str] = self._call(self._start())
        self._deadlines = self.app.state.services.decisions.deadlines
        self._reader = sqlite3.connect(self.database)
        self._tables = [
            name
            for (name,) in self._reader.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if name not in UNCOUNTED and not name.startswith("sqlite_")
        ]

    def _call(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coroutine`` on the app's loop; a minute is far more than any request needs."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    async def _start(self) -> dict[str, str]:
        await self._stack.enter_async_context(self.app.router.lifespan_context(self.app))
        await self._stack.enter_async_context(self.client)
        services: Services = self.app.state.services
        services.decisions.deadlines.hold()  # see the module docstring
        tokens = {}
        for name in ("owner", "participant", "outsider"):
            user = await services.accounts.store.create_user(
                name,
                display_name=name.title(),
                locale="bg",
                password_hash=None,
                is_admin=False,
                created_at=utc_now(),
            )
            _, tokens[name] = await services.accounts.issue_api_token(user, "fuzz")
            if name == "owner":
                owner = user
        rooms = services.rooms
        view = await rooms.create(owner, NewRoom(slug=ROOM, visibility=Visibility.PUBLIC), None)
        await rooms.set_member(view, "participant", Role.PARTICIPANT.value, None)
        await rooms.create_document(view, DOCUMENT, None)
        source: pycrdt.Doc[Any] = pycrdt.Doc(client_id=3)
        source.get("content", type=pycrdt.Text).insert(0, "Проект за решение 🗳️")
        applied = await services.documents.apply_server_update(
            DOCUMENT, lambda _doc: source.get_update(), author=None, origin=Origin.SERVER
        )
        assert applied is not None
        await applied  # committed
        poll = await services.decisions.votes.open_poll(
            view, NewPoll(title="Анкета", method="approval", options=["a", "b", "c"]), None
        )
        assert poll.id == 1
        return tokens

    def close(self) -> None:
        self._reader.close()
        try:
            self._call(self._stack.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    def request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        return self._call(self.client.request(method, path, content=body, headers=headers))

    def fingerprint(self) -> tuple[object, ...]:
        read = self._reader.execute
        counts = tuple(read(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in self._tables)
        room = read("SELECT * FROM rooms WHERE slug = ?", (ROOM,)).fetchall()
        members = read(
            "SELECT user_id, role FROM room_members WHERE room_id = (SELECT id FROM rooms"
            " WHERE slug = ?) ORDER BY user_id",
            (ROOM,),
        ).fetchall()
        return counts, room, members

    def post_body(self, endpoint: str, body: bytes) -> None:
        """Send ``body`` to ``endpoint``; raise FuzzFailure if the answer or the database is
        wrong (see the module docstring)."""
        spec = ENDPOINTS[endpoint]
        headers = {"content-type": "application/json"}
        if spec.caller is not None:
            headers["authorization"] = f"Bearer {self.tokens[spec.caller]}"
        self._call(self._deadlines.run_due())
        before = self.fingerprint()
        answer = self.request(spec.method, spec.path, body, headers)
        status = answer.status_code
        if not (200 <= status < 300 or 400 <= status < 500):
            raise FuzzFailure(f"{endpoint}: answered {status}: {answer.text[:500]}")
        if status >= 400:
            media = answer.headers.get("content-type", "")
            if not media.startswith("application/problem+json"):
                raise FuzzFailure(f"{endpoint}: {status} answered as {media!r}")
            problem = answer.json()
            if problem.get("status") != status or not isinstance(problem.get("type"), str):
                raise FuzzFailure(f"{endpoint}: not a problem document: {problem!r:.300}")
            if self.fingerprint() != before:
                raise FuzzFailure(f"{endpoint}: refused with {status} but stored something")
            return
        made = json.loads(answer.content) if answer.content else {}
        path = spec.read_back.format(**made) if isinstance(made, dict) else spec.read_back
        read = self.request("GET", path, b"", headers)
        if read.status_code != 200:
            raise FuzzFailure(
                f"{endpoint}: after a {status}, GET {path} answered "
                f"{read.status_code}: {read.text[:300]}"
            )


@cache
def _body_seeds(endpoint: str) -> tuple[str, ...]:
    return tuple(dumps(body) for body in seeds.REST_BODIES[endpoint])


def bodies(endpoint: str) -> st.SearchStrategy[bytes]:
    """Request bodies for ``endpoint``: JSON texts (see json_texts: mostly its valid bodies
    edited field by field, and past the parser's limits) as UTF-8, and mutated bytes."""
    texts = json_texts(json_objects(KEYS, ENUMS), json_values(KEYS, ENUMS), _body_seeds(endpoint))
    raw = mutated([s.encode() for s in _body_seeds(endpoint)])
    encoded = texts.map(lambda t: t.encode("utf-8", "surrogatepass"))
    return st.one_of(encoded, encoded, encoded, raw)


def inputs() -> st.SearchStrategy[tuple[str, bytes]]:
    return st.one_of(*(st.tuples(st.just(name), bodies(name)) for name in sorted(ENDPOINTS)))


@contextmanager
def harness_in_temporary_directory() -> Iterator[RestHarness]:
    with tempfile.TemporaryDirectory(prefix="veche-fuzz-rest-") as directory:
        harness = RestHarness(Path(directory))
        try:
            yield harness
        finally:
            harness.close()


def rest_targets(harness: RestHarness) -> list[Target]:
    """The REST target, on ``harness``."""
    first_seeds: Sequence[tuple[str, bytes]] = [
        (name, body.encode()) for name in sorted(ENDPOINTS) for body in _body_seeds(name)
    ]
    return [Target("rest", lambda value: harness.post_body(*value), inputs(), first_seeds, 20_000)]
