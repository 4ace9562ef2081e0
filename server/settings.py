"""One `Settings` object: environment variables, overridden by CLI flags."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from server.documents.isolation import CrdtLimits

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/veche.db"


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):  # nan compares false with everything; inf disables a bound
        raise SettingsError(f"{name} must be a finite number, got {raw!r}")
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str | None = None
    allowed_origins: tuple[str, ...] = ()
    crdt_backend: str = "pycrdt"
    # Largest WebSocket frame accepted; a larger one closes the connection with 1009.
    max_frame_bytes: int = 1024 * 1024
    # Token bucket per connection for update-bearing messages; over it the server stops
    # reading that socket until tokens refill (TCP backpressure, nothing dropped).
    update_rate: float = 500.0
    update_burst: int = 1000
    # Bytes queued for one connection before it counts as a slow reader and is closed.
    send_queue_bytes: int = 4 * 1024 * 1024
    # Seconds a document stays loaded after its last connection leaves.
    unload_grace: float = 30.0
    # Updates logged since the last checkpoint that trigger a new one.
    checkpoint_every: int = 500
    # CRDT isolation (docs/crdt-isolation.md): the integration bound under which the server
    # integrates an update itself (250,000 steps: ~9 ms at the measured ~37 ns a step, at
    # worst); the most time sandbox-measured work may take to be redone here (ms); sandbox
    # deadlines for one update and one load (s); sandbox workers; CRDT seconds one connection
    # may cause per minute.
    crdt_inline_steps: int = 250_000
    crdt_inline_ms: float = 20.0
    crdt_trial_seconds: float = 1.0
    crdt_load_seconds: float = 10.0
    crdt_workers: int = 2
    crdt_budget: float = 3.0
    crdt_document_budget: float = 6.0  # CRDT seconds a document may take here per minute
    crdt_prespawn: bool = False  # start the workers with the server (`veche serve` does)
    commit_max_delay: float = 0.002
    commit_max_batch: int = 500
    # updates held for the database at most; beyond, writers are closed with 4500 (the
    # database is down or far behind) and reconnect later: docs/scaling.md
    commit_backlog: int = 10_000
    # Accounts (docs/accounts.md): token lifetimes in seconds, failed logins allowed per
    # account and per address within the sliding window.
    access_token_ttl: int = 15 * 60
    session_ttl: int = 30 * 24 * 3600
    login_failures_per_account: int = 10
    login_failures_per_address: int = 50
    login_window: float = 15 * 60.0
    # Access to documents (docs/access.md): serve documents outside rooms to anyone (a plain
    # y-websocket server, for trials and benchmarks); seconds between reviews of open
    # connections' access; concurrent document connections per signed-in user.
    open_documents: bool = False
    access_review_every: float = 5.0
    max_connections_per_user: int = 100
    # Live rooms (docs/protocol.md): characters in one message; writes (posts, edits,
    # reactions, flags) per second per member with bursts; connections per room on a node.
    max_message_chars: int = 10_000
    live_write_rate: float = 2.0
    live_write_burst: int = 10
    max_room_connections: int = 1000
    max_live_frame_bytes: int = 64 * 1024
    # Live-room hardening (issue 10; docs/protocol.md, "Limits"): anonymous connections per
    # client address in one room on a node; connections of non-members (anonymous or
    # signed-in) in one room on a node, so that the rest of max_room_connections stays for
    # members (owners and moderators always enter); typing or idle changes told to the room
    # per person per second.
    live_anonymous_per_address: int = 20
    max_room_guests: int = 500
    live_presence_rate: float = 4.0
    # /yjs/ hardening (docs/protocol.md): frames held per connection while its document loads
    # (over either bound the socket is not read until it is loaded); awareness messages
    # relayed per connection per second with bursts (the rest coalesced), and the largest
    # awareness message read (a larger one is dropped unread).
    load_queue_bytes: int = 4 * 1024 * 1024
    load_queue_frames: int = 1000
    awareness_rate: float = 5.0
    awareness_burst: int = 10
    max_awareness_bytes: int = 64 * 1024
    # Live-room hardening, part 2 (issue 10; docs/secret-ballots.md, docs/protocol.md): a
    # secret vote's running tally is pushed (and shown over REST) once this many ballots came
    # in since the last push, at least this many seconds apart; a person's `left` waits this
    # long, and is not told at all if they are back by then (connection churn).
    secret_tally_batch: int = 5
    secret_tally_seconds: float = 10.0
    live_leave_grace: float = 2.0
    # REST request bodies (docs/http-limits.md): bytes per body, and under /api/v1/auth/
    # (anonymous: login, refresh); over it 413 before the body is read.
    max_body_bytes: int = 1024 * 1024
    max_auth_body_bytes: int = 16 * 1024
    # The built browser application (client/web/dist); None: the checkout's own
    web_dir: str | None = None
    # Notices (docs/notifications.md): the address people reach this server at, for links in
    # e-mails and feeds (None: http://HOST:PORT); the SMTP server e-mails leave through (None:
    # e-mails wait in the outbox for a node that has one); plain-HTTP webhook URLs (tests and
    # development only); how long before a consultation's deadline its reminder goes out.
    public_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "veche@localhost"
    smtp_starttls: bool | None = None  # None: when the server offers it
    smtp_user: str | None = None
    smtp_password: str | None = None
    allow_http_webhooks: bool = False
    reminder_seconds: float = 3 * 24 * 3600.0
    notice_every: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every `VECHE_*` variable; raises SettingsError on a malformed value."""
        env = os.environ if env is None else env
        origins = tuple(
            o.strip() for o in env.get("VECHE_ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        secret_key = env.get("VECHE_SECRET_KEY") or None
        if secret_key is not None and len(secret_key) < 32:
            raise SettingsError("VECHE_SECRET_KEY must be at least 32 characters")
        return cls(
            host=env.get("VECHE_HOST", "127.0.0.1"),
            port=_int(env, "VECHE_PORT", 8000, 0),
            database_url=env.get("VECHE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("VECHE_REDIS_URL") or None,
            secret_key=secret_key,
            allowed_origins=origins,
            crdt_backend=env.get("VECHE_CRDT_BACKEND") or "pycrdt",
            max_frame_bytes=_int(env, "VECHE_MAX_FRAME_BYTES", 1024 * 1024, 64),
            update_rate=_float(env, "VECHE_UPDATE_RATE", 500.0, 0.001),
            update_burst=_int(env, "VECHE_UPDATE_BURST", 1000, 1),
            send_queue_bytes=_int(env, "VECHE_SEND_QUEUE_BYTES", 4 * 1024 * 1024, 1024),
            unload_grace=_float(env, "VECHE_UNLOAD_GRACE", 30.0),
            checkpoint_every=_int(env, "VECHE_CHECKPOINT_EVERY", 500, 1),
            commit_backlog=_int(env, "VECHE_COMMIT_BACKLOG", 10_000, 1),
            crdt_inline_steps=_int(env, "VECHE_CRDT_INLINE_STEPS", 250_000, 1000),
            crdt_inline_ms=_float(env, "VECHE_CRDT_INLINE_MS", 20.0, 0.1),
            crdt_trial_seconds=_float(env, "VECHE_CRDT_TRIAL_SECONDS", 1.0, 0.01),
            crdt_load_seconds=_float(env, "VECHE_CRDT_LOAD_SECONDS", 10.0, 0.01),
            crdt_workers=_int(env, "VECHE_CRDT_WORKERS", 2, 1),
            crdt_budget=_float(env, "VECHE_CRDT_BUDGET", 3.0, 0.01),
            crdt_document_budget=_float(env, "VECHE_CRDT_DOCUMENT_BUDGET", 6.0, 0.01),
            access_token_ttl=_int(env, "VECHE_ACCESS_TOKEN_TTL", 15 * 60, 1),
            session_ttl=_int(env, "VECHE_SESSION_TTL", 30 * 24 * 3600, 1),
            login_failures_per_account=_int(env, "VECHE_LOGIN_FAILURES_PER_ACCOUNT", 10, 1),
            login_failures_per_address=_int(env, "VECHE_LOGIN_FAILURES_PER_ADDRESS", 50, 1),
            login_window=_float(env, "VECHE_LOGIN_WINDOW", 15 * 60.0, 1.0),
            open_documents=_bool(env, "VECHE_OPEN_DOCUMENTS", False),
            access_review_every=_float(env, "VECHE_ACCESS_REVIEW", 5.0, 0.05),
            max_connections_per_user=_int(env, "VECHE_MAX_CONNECTIONS_PER_USER", 100, 1),
            max_message_chars=_int(env, "VECHE_MAX_MESSAGE_CHARS", 10_000, 1),
            live_write_rate=_float(env, "VECHE_LIVE_WRITE_RATE", 2.0, 0.001),
            live_write_burst=_int(env, "VECHE_LIVE_WRITE_BURST", 10, 1),
            max_room_connections=_int(env, "VECHE_MAX_ROOM_CONNECTIONS", 1000, 1),
            max_live_frame_bytes=_int(env, "VECHE_MAX_LIVE_FRAME_BYTES", 64 * 1024, 256),
            live_anonymous_per_address=_int(env, "VECHE_LIVE_ANONYMOUS_PER_ADDRESS", 20, 1),
            max_room_guests=_int(env, "VECHE_MAX_ROOM_GUESTS", 500, 0),
            live_presence_rate=_float(env, "VECHE_LIVE_PRESENCE_RATE", 4.0, 0.01),
            load_queue_bytes=_int(env, "VECHE_LOAD_QUEUE_BYTES", 4 * 1024 * 1024, 1024),
            load_queue_frames=_int(env, "VECHE_LOAD_QUEUE_FRAMES", 1000, 1),
            awareness_rate=_float(env, "VECHE_AWARENESS_RATE", 5.0, 0.001),
            awareness_burst=_int(env, "VECHE_AWARENESS_BURST", 10, 1),
            max_awareness_bytes=_int(env, "VECHE_MAX_AWARENESS_BYTES", 64 * 1024, 256),
            secret_tally_batch=_int(env, "VECHE_SECRET_TALLY_BATCH", 5, 1),
            secret_tally_seconds=_float(env, "VECHE_SECRET_TALLY_SECONDS", 10.0, 0.0),
            live_leave_grace=_float(env, "VECHE_LIVE_LEAVE_GRACE", 2.0, 0.0),
            max_body_bytes=_int(env, "VECHE_MAX_BODY_BYTES", 1024 * 1024, 1024),
            web_dir=env.get("VECHE_WEB_DIR") or None,
            max_auth_body_bytes=_int(env, "VECHE_MAX_AUTH_BODY_BYTES", 16 * 1024, 1024),
            public_url=(env.get("VECHE_PUBLIC_URL") or "").rstrip("/") or None,
            smtp_host=env.get("VECHE_SMTP_HOST") or None,
            smtp_port=_int(env, "VECHE_SMTP_PORT", 25, 1),
            smtp_sender=env.get("VECHE_SMTP_SENDER") or "veche@localhost",
            smtp_starttls=(
                None
                if not env.get("VECHE_SMTP_STARTTLS")
                else _bool(env, "VECHE_SMTP_STARTTLS", False)
            ),
            smtp_user=env.get("VECHE_SMTP_USER") or None,
            smtp_password=env.get("VECHE_SMTP_PASSWORD") or None,
            allow_http_webhooks=_bool(env, "VECHE_ALLOW_HTTP_WEBHOOKS", False),
        )

    @property
    def crdt_limits(self) -> CrdtLimits:
        return CrdtLimits(
            inline_steps=self.crdt_inline_steps,
            inline_seconds=self.crdt_inline_ms / 1000.0,
            trial_deadline=self.crdt_trial_seconds,
            load_deadline=self.crdt_load_seconds,
            budget_seconds=self.crdt_budget,
            document_budget_seconds=self.crdt_document_budget,
        )

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given fields replaced; `None` values are ignored (unset CLI flags)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def base_url(self) -> str:
        """The server's public address, without a trailing slash."""
        return self.public_url or f"http://{self.host}:{self.port}"

    def sqlite_path(self) -> Path | None:
        """The SQLite file of the database URL, or None for other databases."""
        prefix = "sqlite+aiosqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        path = self.database_url[len(prefix) :]
        return None if path in ("", ":memory:") else Path(path)

    def secret_key_file(self) -> Path:
        """Where a generated signing key is kept when `VECHE_SECRET_KEY` is unset: next to the
        SQLite database file, else `./var/secret_key`."""
        database = self.sqlite_path()
        directory = database.parent if database is not None else Path("var")
        return directory / "secret_key"
