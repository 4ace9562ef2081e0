"""`veche`: the command line (DESIGN §2.1). Flags override the environment."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence

from server.accounts import InvalidAccountInput
from server.accounts.passwords import generate_password
from server.accounts.service import Accounts
from server.settings import Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veche", description="Veche deliberation server")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000)")
    serve.add_argument("--database-url", help="SQLAlchemy URL (VECHE_DATABASE_URL)")
    serve.add_argument("--redis-url", help="Redis URL (VECHE_REDIS_URL)")
    serve.add_argument("--crdt-backend", choices=["pycrdt", "y-py"], help="VECHE_CRDT_BACKEND")
    serve.add_argument(
        "--open-documents",
        action="store_true",
        default=None,
        help="serve documents outside rooms to anyone (VECHE_OPEN_DOCUMENTS; trials, benchmarks)",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("--database-url", help="SQLAlchemy URL (VECHE_DATABASE_URL)")

    users = commands.add_parser("users", help="accounts")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    create = users_commands.add_parser("create", help="create a user")
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="an administrator")
    create.add_argument("--display-name", help="shown to others (default: the name)")
    create.add_argument("--locale", choices=["bg", "en"], default="bg")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from one line of standard input (default: generate one)",
    )
    create.add_argument("--database-url", help="SQLAlchemy URL (VECHE_DATABASE_URL)")

    tokens = commands.add_parser("tokens", help="API tokens")
    tokens_commands = tokens.add_subparsers(dest="tokens_command", required=True)
    issue = tokens_commands.add_parser("issue", help="issue an API token and print it once")
    issue.add_argument("name", help="the user the token acts as")
    issue.add_argument("--label", default="cli", help="what the token is for")
    issue.add_argument("--database-url", help="SQLAlchemy URL (VECHE_DATABASE_URL)")
    decisions = commands.add_parser("decisions", help="decision records")
    decisions_commands = decisions.add_subparsers(dest="decisions_command", required=True)
    verify = decisions_commands.add_parser(
        "verify", help="check a room's chain of decision records (exit 1 if it is broken)"
    )
    verify.add_argument("room", help="the room's slug")
    verify.add_argument("--database-url", help="SQLAlchemy URL (VECHE_DATABASE_URL)")
    return parser


def _verify_decisions(settings: Settings, slug: str) -> int:
    from server.decisions.records import verify
    from storage.database import Database, upgrade
    from storage.polls import PollStore
    from storage.rooms import RoomStore

    async def work() -> int:
        await upgrade(settings.database_url)
        async with Database(settings.database_url) as database:
            room = await RoomStore(database).find_room(slug)
            if room is None:
                print(f"veche: there is no room {slug!r}", file=sys.stderr)
                return 2
            records = await PollStore(database).decisions(room.id)
        problems = verify(records)
        for problem in problems:
            print(f"decision {problem.position}: {problem.problem}")
        if problems:
            print(f"{slug}: the chain of {len(records)} decision records is BROKEN")
            return 1
        head = records[-1].record_sha256 if records else "none"
        print(f"{slug}: {len(records)} decision records, chain intact, head {head}")
        return 0

    return asyncio.run(work())


async def _with_accounts(settings: Settings, work: Callable[[Accounts], Awaitable[int]]) -> int:
    from storage.accounts import AccountStore
    from storage.audit import AuditLog
    from storage.database import Database, upgrade

    await upgrade(settings.database_url)
    async with Database(settings.database_url) as database:
        return await work(Accounts(AccountStore(database), AuditLog(database)))


def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    generated = not args.password_stdin
    password = generate_password() if generated else sys.stdin.readline().rstrip("\r\n")

    async def work(accounts: Accounts) -> int:
        user = await accounts.create_user(
            args.name,
            password,
            display_name=args.display_name,
            locale=args.locale,
            is_admin=args.admin,
            via="cli",
        )
        role = "administrator" if user.is_admin else "user"
        print(f"created {role} {user.name!r} (id {user.id})")
        if generated:
            print(f"password (shown once): {password}")
        return 0

    return asyncio.run(_with_accounts(settings, work))


def _issue_token(settings: Settings, args: argparse.Namespace) -> int:
    async def work(accounts: Accounts) -> int:
        user = await accounts.store.find_user(args.name)
        if user is None:
            raise InvalidAccountInput("name", f"no user named {args.name!r}")
        token, secret = await accounts.issue_api_token(user, args.label, via="cli")
        print(f"token {token.id} for {user.name!r} (shown once):", file=sys.stderr)
        print(secret)
        return 0

    return asyncio.run(_with_accounts(settings, work))


def _serve(settings: Settings, log_level: str) -> None:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from server.app import create_app
    from server.logredact import log_config
    from server.ws_routing import VecheHttpProtocol, VecheWebSocketProtocol

    try:
        import uvloop  # noqa: F401  # optional extra: a faster event loop when installed

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop=loop,
        http=VecheHttpProtocol,
        ws=VecheWebSocketProtocol,
        ws_max_size=settings.max_frame_bytes,
        # frames are relayed as received; compressing them would cost CPU per receiver
        ws_per_message_deflate=False,
        lifespan="on",
        log_level=log_level,
        # every handler redacts tokens, receipts and invitation secrets (server/logredact.py)
        log_config=log_config(LOGGING_CONFIG, log_level),
        timeout_graceful_shutdown=10,
    )
    _tune_collector()
    uvicorn.Server(config).run()


def _tune_collector() -> None:
    """Keep the cyclic garbage collector's pauses off the relay path.

    With Python's defaults a busy node ran a collection of the oldest generation several
    times a second, each walking the whole heap (every imported module's objects): pauses of
    tens of milliseconds that showed in the p99 of relayed updates (6,000 updates/s across
    two nodes, 100 observers, docs/benchmarks.md: p99 107-293 ms with the defaults, 58-141
    ms with this; the runs vary a lot). What is in memory before serving (the code and its
    tables) is moved out of the collector's sight for good, and the youngest generation is
    collected every 50,000 allocations instead of 700.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"veche: {exc}", file=sys.stderr)
        return 2
    settings = settings.with_overrides(database_url=getattr(args, "database_url", None))
    if args.command == "serve":
        settings = settings.with_overrides(
            host=args.host,
            port=args.port,
            redis_url=args.redis_url,
            crdt_backend=args.crdt_backend,
            open_documents=args.open_documents,
            crdt_prespawn=True,
        )
        _serve(settings, args.log_level)
        return 0
    if args.command == "db" and args.db_command == "upgrade":
        from storage.database import upgrade

        logging.basicConfig(level=logging.INFO, format="%(message)s")
        asyncio.run(upgrade(settings.database_url))
        print(f"database at head: {settings.database_url}")
        return 0
    try:
        if args.command == "users" and args.users_command == "create":
            return _create_user(settings, args)
        if args.command == "tokens" and args.tokens_command == "issue":
            return _issue_token(settings, args)
        if args.command == "decisions" and args.decisions_command == "verify":
            return _verify_decisions(settings, args.room)
    except InvalidAccountInput as exc:
        print(f"veche: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
