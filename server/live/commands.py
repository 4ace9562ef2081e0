"""What a live-room command sees (`Context`) and the registry of commands.

A command is declared once, with its schema and the policy action it needs:

    @command("post", "Post a message.", Action.POST_MESSAGE, body=TEXT)
    async def post(ctx: Context, fields: dict[str, Any]) -> dict[str, Any] | None: ...

The dispatcher (server/live/service.py) parses the frame against the schema, loads the room
and the caller's role fresh, asks the policy for the action, then calls the handler. What the
handler returns is sent back in the `ack`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jsonschema.protocols import Validator

from server.documents.connection import BucketTable
from server.live.connection import LiveConnection
from server.live.protocol import ErrorCode, LiveError, schema_of, validator_for
from server.live.room import LiveRoom
from server.live.rooms import LiveRooms
from server.policy import Action, Reason, Role, decide
from server.rooms.service import state_of
from server.settings import Settings
from storage.accounts import AccountStore, StoredUser
from storage.audit import AuditLog
from storage.discussion import DiscussionStore
from storage.live_session import LiveSessionStore
from storage.moderation import ModerationStore
from storage.room_events import StoredEvent
from storage.rooms import StoredRoom

Handler = Callable[["Context", dict[str, Any]], Awaitable[dict[str, Any] | None]]

_REFUSALS = {
    Reason.ARCHIVED: (ErrorCode.ARCHIVED, "the room is archived"),
    Reason.LOCKED: (ErrorCode.LOCKED, "the room is locked: only moderators may speak"),
}


@dataclass(frozen=True)
class CommandSpec:
    name: str
    action: Action | None  # None: any connection, the handler checks what it needs
    schema: dict[str, Any]
    validator: Validator
    handler: Handler


REGISTRY: dict[str, CommandSpec] = {}


def command(
    name: str,
    description: str,
    action: Action | None,
    optional: tuple[str, ...] = (),
    **fields: Any,
) -> Callable[[Handler], Handler]:
    """Register a handler for client messages of type `name` (see the module docstring)."""
    schema = schema_of(name, description, optional, **fields)

    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise ValueError(f"command {name!r} registered twice")
        REGISTRY[name] = CommandSpec(name, action, schema, validator_for(schema), handler)
        return handler

    return register


@dataclass
class LiveServices:
    """What commands use; one per process."""

    settings: Settings
    discussion: DiscussionStore
    moderation: ModerationStore
    session: LiveSessionStore
    accounts: AccountStore
    audit: AuditLog
    rooms: LiveRooms
    clock: Callable[[], datetime]
    buckets: BucketTable | None = None  # per (room, member); made on first use

    def write_buckets(self) -> BucketTable:
        if self.buckets is None:
            settings = self.settings
            self.buckets = BucketTable(settings.live_write_rate, settings.live_write_burst)
        return self.buckets


@dataclass
class Context:
    """One command being carried out: who sends it, in which room, with which role."""

    services: LiveServices
    room: StoredRoom
    role: Role | None
    connection: LiveConnection
    live_room: LiveRoom

    @property
    def user(self) -> StoredUser | None:
        return self.connection.user

    @property
    def now(self) -> datetime:
        return self.services.clock()

    def allowed(self, action: Action) -> bool:
        return decide(self.role, self.user is not None, action, state_of(self.room)).allowed

    def check(self, action: Action) -> None:
        """LiveError unless the policy allows ``action`` to the caller."""
        decision = decide(self.role, self.user is not None, action, state_of(self.room))
        if not decision.allowed:
            code, detail = _REFUSALS.get(
                decision.reason, (ErrorCode.FORBIDDEN, f"your role may not {action.value}")
            )
            raise LiveError(code, detail)

    def require(self, action: Action) -> StoredUser:
        """The signed-in caller, if the policy allows them ``action`` (a write)."""
        self.check(action)
        if self.user is None:
            raise LiveError(ErrorCode.FORBIDDEN, "sign in first")
        return self.user

    def throttle(self, user: StoredUser) -> None:
        """Count one write against the member's rate; LiveError(rate_limited) when over."""
        wait, bucket = self.services.write_buckets().delay((self.room.id, user.id))
        if wait > 0:
            bucket.refund()
            raise LiveError(
                ErrorCode.RATE_LIMITED, "too many writes; wait a little", retry_after=wait
            )

    def check_length(self, name: str, text: str) -> str:
        limit = self.services.settings.max_message_chars
        if not text.strip():
            raise LiveError(ErrorCode.INVALID_MESSAGE, f"{name}: must not be empty")
        if len(text) > limit:
            raise LiveError(ErrorCode.TOO_LARGE, f"{name}: at most {limit} characters")
        return text

    def publish(self, event: StoredEvent) -> None:
        self.services.rooms.publish(event)


def schemas_markdown() -> str:
    """The client messages and their JSON Schemas as Markdown (docs/protocol.md holds this;
    `scripts/protocol-doc` writes it and a test checks it is current)."""
    parts = []
    for name in sorted(REGISTRY):
        spec = REGISTRY[name]
        who = "any connection" if spec.action is None else f"`{spec.action.value}`"
        parts.append(
            f"#### `{name}`\n\n{spec.schema['description']} Needs: {who}.\n\n"
            f"```json\n{json.dumps(spec.schema, indent=2, ensure_ascii=False)}\n```\n"
        )
    return "\n".join(parts)
