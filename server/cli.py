"""`veche`: the command line (DESIGN §2.1). Flags override the environment."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

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
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("--database-url", help="SQLAlchemy URL (VECHE_DATABASE_URL)")
    return parser


def _serve(settings: Settings, log_level: str) -> None:
    import uvicorn

    from server.app import create_app
    from server.document_socket import VecheWebSocketProtocol

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
        ws=VecheWebSocketProtocol,
        ws_max_size=settings.max_frame_bytes,
        # frames are relayed as received; compressing them would cost CPU per receiver
        ws_per_message_deflate=False,
        lifespan="on",
        log_level=log_level,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()


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
        )
        _serve(settings, args.log_level)
        return 0
    if args.command == "db" and args.db_command == "upgrade":
        from storage.database import upgrade

        logging.basicConfig(level=logging.INFO, format="%(message)s")
        asyncio.run(upgrade(settings.database_url))
        print(f"database at head: {settings.database_url}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
