"""Real receivers for the outreach tests: an SMTP server (aiosmtpd) and a webhook receiver
(a small HTTP/1.1 server on asyncio streams that verifies with `standardwebhooks`), both on
127.0.0.1 and a free port in the test's event loop; and a clock the test moves by hand."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from standardwebhooks import Webhook, WebhookVerificationError

from storage.accounts import AccountStore
from storage.database import Database

MAX_BODY = 1 << 20
WAIT = 5.0  # seconds a test waits for something to arrive (it arrives in milliseconds)


class Clock:
    """A clock that stands still until moved; it starts at the real time, because a webhook
    receiver accepts timestamps within five minutes of its own clock."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


async def make_user(database: Database, name: str, locale: str = "bg") -> int:
    user = await AccountStore(database).create_user(
        name,
        display_name=name.title(),
        locale=locale,
        password_hash=None,
        is_admin=False,
        created_at=datetime.now(UTC),
    )
    return user.id


class MailSink:
    """Accepts every message (refusing ``refused`` recipients with 550) and keeps it."""

    def __init__(self, refused: Sequence[str] = ()) -> None:
        self.messages: list[EmailMessage] = []
        self.refused = set(refused)
        self.arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> MailSink:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="mail.veche.test", loop=loop), "127.0.0.1", 0
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        async with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted"

    async def wait_for(self, count: int) -> list[EmailMessage]:
        async with asyncio.timeout(WAIT), self.arrived:
            await self.arrived.wait_for(lambda: len(self.messages) >= count)
        return self.messages


@dataclass
class Arrival:
    headers: dict[str, str]
    body: bytes
    verified: list[bool]  # one per secret the receiver holds
    status: int


@dataclass
class WebhookReceiver:
    """Answers POSTs with ``answers`` in turn, then 200; 401 when no held secret verifies
    (``check=False``: answers without checking). ``hold`` requests are kept unanswered
    until the connection is dropped (a sender that died mid-request)."""

    secrets: list[str]
    answers: list[int] = field(default_factory=list)
    check: bool = True
    hold: int = 0
    arrivals: list[Arrival] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def ids(self) -> list[str]:
        return [a.headers["webhook-id"] for a in self.arrivals]

    async def __aenter__(self) -> WebhookReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.close()
        await self._server.wait_closed()

    async def wait_for(self, count: int) -> list[Arrival]:
        async with asyncio.timeout(WAIT), self._arrived:
            await self._arrived.wait_for(lambda: len(self.arrivals) >= count)
        return self.arrivals

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        try:
            await self._answer(reader, writer)
        finally:
            self._open.discard(writer)
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, colon, value = line.partition(":")
                if colon:
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(min(length, MAX_BODY))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return
        verified = [self._verifies(secret, body, headers) for secret in self.secrets]
        status = self.answers.pop(0) if self.answers else 200
        if self.check and not any(verified):
            status = 401
        async with self._arrived:
            self.arrivals.append(Arrival(headers, body, verified, status))
            self._arrived.notify_all()
        if self.hold > 0:
            self.hold -= 1
            await reader.read()  # until the sender goes away
            return
        text = f"status {status}".encode()
        writer.write(
            f"HTTP/1.1 {status} Answer\r\ncontent-length: {len(text)}\r\n"
            "content-type: text/plain\r\nconnection: close\r\n\r\n".encode()
            + text
        )
        await writer.drain()

    @staticmethod
    def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
        try:
            parsed: Any = Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return isinstance(parsed, dict)
