"""The floor under Veche's ballot path, for the crowd benchmark (bench/crowd.py).

A bare Starlette application on SQLAlchemy's async engine, the same driver as Veche's
(aiosqlite or asyncpg), with tables of its own: ``POST /ballots/{poll}`` reads the bearer
token's user in one SELECT and INSERTs one ballot row, in one transaction, and answers 201.
Nothing else — no policy, no electorate, no tally, no events — so the difference between
its figures and Veche's is what Veche adds per ballot.

SQLite is opened as Veche opens it (WAL, ``synchronous=FULL``, a busy timeout, and the
transaction taking the write lock at ``BEGIN IMMEDIATE``), so the commit costs the same.

    FLOOR_DATABASE_URL=... .venv/bin/python -m uvicorn floor_app:app --app-dir bench

``prepare`` makes the tables and the users (the same tokens as Veche's); ``count`` reads the
ballots back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    event,
    func,
    insert,
    make_url,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CHOICES = frozenset({"yes", "no", "abstain"})
metadata = MetaData()
users = Table(
    "floor_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
)
ballots = Table(
    "floor_ballots",
    metadata,
    Column("poll_id", Integer, primary_key=True),
    Column("user_id", Integer, primary_key=True),
    Column("choice", String(16), nullable=False),
    Column("cast_at", DateTime(timezone=True), nullable=False),
)


def make_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url)
    if make_url(url).get_backend_name() != "sqlite":
        return engine

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below)
        cursor = dbapi_connection.cursor()
        for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "synchronous = FULL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def prepare(url: str, tokens: list[str]) -> None:
    """The tables, and one user per token (ids 1…N)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            rows = [{"token_hash": _token_hash(t)} for t in tokens]
            for start in range(0, len(rows), 500):
                await connection.execute(insert(users), rows[start : start + 500])
    finally:
        await engine.dispose()


async def count(url: str, poll_id: int) -> dict[str, int]:
    """The ballots stored for ``poll_id``: rows and distinct voters."""
    engine = make_engine(url)
    query = select(func.count(), func.count(ballots.c.user_id.distinct())).where(
        ballots.c.poll_id == poll_id
    )
    try:
        async with engine.connect() as connection:
            rows, voters = (await connection.execute(query)).one()
    finally:
        await engine.dispose()
    return {"rows": int(rows), "voters": int(voters)}


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"status": status, "detail": detail}, status_code=status)


async def cast(request: Request) -> JSONResponse:
    engine: AsyncEngine = request.app.state.engine
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return _problem(401, "a bearer token is needed")
    try:
        body = json.loads(await request.body())
    except ValueError:
        return _problem(400, "the body is not JSON")
    choice = body.get("choice") if isinstance(body, dict) else None
    if choice not in CHOICES:
        return _problem(422, "choice: yes, no or abstain")
    try:
        async with engine.begin() as connection:
            user_id = await connection.scalar(
                select(users.c.id).where(users.c.token_hash == _token_hash(secret))
            )
            if user_id is None:
                return _problem(401, "unknown token")
            await connection.execute(
                insert(ballots).values(
                    poll_id=int(request.path_params["poll_id"]),
                    user_id=user_id,
                    choice=choice,
                    cast_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        return _problem(409, "already voted")
    return JSONResponse({"outcome": "cast"}, status_code=201)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.engine = make_engine(os.environ["FLOOR_DATABASE_URL"])
    try:
        yield
    finally:
        await app.state.engine.dispose()


app = Starlette(routes=[Route("/ballots/{poll_id:int}", cast, methods=["POST"])], lifespan=lifespan)
