"""People for the benchmarks that need signed-in users: a room, its members and their tokens.

    .venv/bin/python bench/population.py --database-url URL --users 1000 --room bench \
        --documents 1 --out people.json

Writes straight into a migrated database (run `veche db upgrade` first), in a few bulk
statements: creating 5,000 people through the API would hash 5,000 passwords and take minutes,
and that is not what the benchmarks measure. Every user gets one API token (the secret is in
the output, only its SHA-256 is stored, as the server does) and is a participant of the room;
the first user owns it. ``--documents`` room documents named ``<room>-doc-<i>`` are created
and linked to the room. The output is JSON: ``{"room": slug, "documents": [...], "tokens":
[...], "owner_token": ...}``.

The server may run already: it reads these rows like any others (its admission reads are
cached only for a few seconds, and nothing here was asked for before).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select

HERE = Path(__file__).resolve().parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from storage.database import Database  # noqa: E402
from storage.models import (  # noqa: E402
    ApiTokenRecord,
    DocumentRecord,
    RoomDocumentRecord,
    RoomMemberRecord,
    RoomRecord,
    UserRecord,
    utc_now,
)

TOKEN_PREFIX = "vch_"  # server/accounts/service.py API_TOKEN_PREFIX
CHUNK = 500  # rows per INSERT: under SQLite's and asyncpg's parameter limits


@dataclass(frozen=True)
class People:
    room: str
    documents: list[str]
    tokens: list[str]  # one per user; tokens[0] is the owner's

    def as_json(self) -> dict[str, object]:
        return {
            "room": self.room,
            "documents": self.documents,
            "tokens": self.tokens,
            "owner_token": self.tokens[0],
        }


async def populate(
    database_url: str, *, users: int, room: str, documents: int = 1, visibility: str = "private"
) -> People:
    """Create ``users`` users with a token each, a room owned by the first, every other user
    a participant, and ``documents`` documents in the room."""
    if not 1 <= users <= 100_000:
        raise ValueError("users is 1 to 100,000")
    database = Database(database_url)
    now = utc_now()
    stamp = secrets.token_hex(3)  # several populations may share one database
    names = [f"b{stamp}-{i}" for i in range(users)]
    tokens = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in range(users)]
    try:
        async with database.sessionmaker() as session, session.begin():
            for start in range(0, users, CHUNK):
                rows = [
                    {"name": n, "display_name": n, "locale": "bg", "is_admin": False}
                    | {"created_at": now, "password_hash": None}
                    for n in names[start : start + CHUNK]
                ]
                await session.execute(insert(UserRecord), rows)
            ids = dict(
                (
                    await session.execute(
                        select(UserRecord.name, UserRecord.id).where(
                            UserRecord.name.like(f"b{stamp}-%")
                        )
                    )
                ).all()
            )
            user_ids = [ids[n] for n in names]
            for start in range(0, users, CHUNK):
                rows = [
                    {"user_id": uid, "label": "bench", "created_at": now}
                    | {"token_hash": hashlib.sha256(secret.encode()).hexdigest()}
                    for uid, secret in zip(
                        user_ids[start : start + CHUNK], tokens[start : start + CHUNK], strict=True
                    )
                ]
                await session.execute(insert(ApiTokenRecord), rows)
            record = RoomRecord(
                slug=room,
                title="Общински съвет (bench)",
                description="",
                visibility=visibility,
                created_by=user_ids[0],
                created_at=now,
            )
            session.add(record)
            await session.flush()
            for start in range(0, users, CHUNK):
                rows = [
                    {
                        "room_id": record.id,
                        "user_id": uid,
                        "role": "owner" if i == 0 else "participant",
                    }
                    for i, uid in enumerate(user_ids[start : start + CHUNK], start)
                ]
                await session.execute(insert(RoomMemberRecord), rows)
            names_of_documents = [f"{room}-doc-{i}" for i in range(documents)]
            for name in names_of_documents:
                document = DocumentRecord(name=name, created_at=now)
                session.add(document)
                await session.flush()
                session.add(RoomDocumentRecord(room_id=record.id, document_id=document.id))
    finally:
        await database.engine.dispose()
    return People(room, names_of_documents, tokens)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--room", default="bench")
    parser.add_argument("--documents", type=int, default=1)
    parser.add_argument("--visibility", default="private", choices=("private", "public"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    people = asyncio.run(
        populate(
            args.database_url,
            users=args.users,
            room=args.room,
            documents=args.documents,
            visibility=args.visibility,
        )
    )
    args.out.write_text(json.dumps(people.as_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
