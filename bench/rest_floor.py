"""The floor of Veche's stack for bench/rest_cpu.py: a bare Starlette app doing the same reads
and the same kind of insert, on uvicorn and SQLAlchemy, with nothing of Veche around it.

    .venv/bin/python bench/rest_floor.py --port PORT --database-url URL   # serves until SIGTERM

It creates its own tables in the (fresh) database it is given, with one user, one API token
(`FLOOR_TOKEN`, stored as its SHA-256 like Veche's) and one private room the user owns. Two
endpoints, written the plain way one would with SQLAlchemy Core (an engine connection per
request, statements built once, columns rather than ORM entities):

- `GET /rooms/{slug}` with `Authorization: Bearer <token>`: (a) the token's user, (b) the room
  with the caller's role (an outer join on the membership), 404 if the room is private and
  the caller no member; the room as JSON.
- `POST /rooms/{slug}/ballots` with `{"choice": …}`: one INSERT of a ballot row into a table
  of its own, in one transaction; 201 `{"outcome": "cast"}`.

What it shares with `veche serve`, so the two compare: uvicorn with the same loop (uvloop when
installed) and HTTP implementation, logging at "warning", the same garbage-collector tuning
(server/cli.py `_tune_collector`), and on SQLite the same durability pragmas (WAL,
`synchronous=FULL`, a busy timeout, foreign keys). It imports nothing of Veche.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import uvicorn
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    event,
    insert,
    make_url,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FLOOR_TOKEN = "vch_floor-bench-token-0123456789abcdefghijklmnop"
ROOM = "bench"

metadata = MetaData()
users = Table(
    "floor_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), unique=True, nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("locale", String(2), nullable=False),
    Column("is_admin", Boolean, nullable=False),
)
tokens = Table(
    "floor_api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("floor_users.id"), nullable=False),
    Column("token_hash", String(64), unique=True, nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)
rooms = Table(
    "floor_rooms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), unique=True, nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", String(2000), nullable=False),
    Column("visibility", String(8), nullable=False),
    Column("archived_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
members = Table(
    "floor_room_members",
    metadata,
    Column("room_id", ForeignKey("floor_rooms.id"), primary_key=True),
    Column("user_id", ForeignKey("floor_users.id"), primary_key=True),
    Column("role", String(16), nullable=False),
)
ballots = Table(
    "floor_ballots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", ForeignKey("floor_rooms.id"), nullable=False),
    Column("choice", JSON),
    Column("cast_at", DateTime(timezone=True), nullable=False),
)


# Statements are built per request, the usual way: SQLAlchemy caches their compiled form by
# the statement's cache key, so only the building and the key cost CPU each time.
def user_of_token(digest: str) -> Any:
    return (
        select(users.c.id, users.c.name, users.c.display_name, users.c.locale, users.c.is_admin)
        .join(tokens, tokens.c.user_id == users.c.id)
        .where(tokens.c.token_hash == digest, tokens.c.revoked_at.is_(None))
    )


def room_with_role(slug: str, user_id: int) -> Any:
    joined = rooms.outerjoin(
        members, (members.c.room_id == rooms.c.id) & (members.c.user_id == user_id)
    )
    return (
        select(
            rooms.c.id,
            rooms.c.slug,
            rooms.c.title,
            rooms.c.description,
            rooms.c.visibility,
            rooms.c.archived_at,
            rooms.c.created_at,
            members.c.role,
        )
        .select_from(joined)
        .where(rooms.c.slug == slug)
    )


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, pool_pre_ping=True)
    engine = create_async_engine(parsed)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "synchronous = FULL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return engine


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def build_app(url: str) -> Starlette:
    engine = create_engine(url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(
                insert(users).values(
                    id=1, name="bench", display_name="Bench", locale="bg", is_admin=False
                )
            )
            digest = hashlib.sha256(FLOOR_TOKEN.encode()).hexdigest()
            await connection.execute(insert(tokens).values(id=1, user_id=1, token_hash=digest))
            await connection.execute(
                insert(rooms).values(
                    id=1,
                    slug=ROOM,
                    title="Общински съвет",
                    description="",
                    visibility="private",
                    created_at=datetime.now(UTC),
                )
            )
            await connection.execute(insert(members).values(room_id=1, user_id=1, role="owner"))
        try:
            yield
        finally:
            await engine.dispose()

    async def room(request: Request) -> JSONResponse:
        bearer = _bearer(request)
        if bearer is None:
            return JSONResponse({"type": "unauthorized"}, 401)
        digest = hashlib.sha256(bearer.encode()).hexdigest()
        async with engine.connect() as connection:
            user = (await connection.execute(user_of_token(digest))).first()
            if user is None:
                return JSONResponse({"type": "unauthorized"}, 401)
            row = (
                await connection.execute(room_with_role(request.path_params["slug"], user.id))
            ).first()
        if row is None or (row.visibility != "public" and row.role is None):
            return JSONResponse({"type": "room-not-found"}, 404)
        return JSONResponse(
            {
                "slug": row.slug,
                "title": row.title,
                "description": row.description,
                "visibility": row.visibility,
                "archived_at": _iso(row.archived_at),
                "created_at": _iso(row.created_at),
                "role": row.role,
            }
        )

    async def cast(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        async with engine.begin() as connection:
            await connection.execute(
                insert(ballots).values(
                    room_id=1, choice=body.get("choice"), cast_at=datetime.now(UTC)
                )
            )
        return JSONResponse({"outcome": "cast"}, 201)

    return Starlette(
        routes=[
            Route("/healthz", lambda _request: JSONResponse({"ok": True})),
            Route("/rooms/{slug}", room),
            Route("/rooms/{slug}/ballots", cast, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    try:
        import uvloop  # noqa: F401  # as `veche serve` does: uvloop when installed

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    config = uvicorn.Config(
        build_app(args.database_url),
        host="127.0.0.1",
        port=args.port,
        loop=loop,
        lifespan="on",
        log_level="warning",
    )
    gc.collect()  # as server/cli.py _tune_collector
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
