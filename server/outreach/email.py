"""One e-mail: composed from already-translated texts, sent with aiosmtplib.

A `Letter` is what the outbox keeps (as JSON): the recipient, its language and the texts;
the sender, the date and the Message-ID are added when it is sent, so a message retried
tomorrow says when it was really sent and keeps one Message-ID (receivers de-duplicate by
it). Unsubscribing is one click (RFC 8058: ``List-Unsubscribe`` plus ``List-Unsubscribe-Post``)
and the link is in both bodies too, for readers that do not show the header.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

import aiosmtplib

from server.outreach import InvalidOutreachInput
from server.outreach.outcomes import Outcome, Reply

LANGUAGES = ("bg", "en")
MAX_ADDRESS = 320
MAX_SUBJECT = 250
MAX_TEXT = 100_000  # characters of each body
MAX_URL = 2048
REPLY_TEXT = 500  # characters of an SMTP reply kept for the delivery log


def _one_line(field: str, value: str, limit: int) -> None:
    if not value.strip() or len(value) > limit or "\r" in value or "\n" in value:
        raise InvalidOutreachInput(field, f"{field} must be one line of 1 to {limit} characters")


def check_address(address: str) -> None:
    """A plausible single mailbox ``local@domain`` (the SMTP server judges the rest)."""
    _one_line("address", address, MAX_ADDRESS)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address):
        raise InvalidOutreachInput("address", f"not an e-mail address: {address!r}")
    if parseaddr(address)[1] != address:
        raise InvalidOutreachInput("address", f"not a single plain address: {address!r}")


@dataclass(frozen=True)
class Letter:
    """An e-mail to one person. ``html`` is the body's HTML fragment (None: the text, escaped,
    in paragraphs); ``unsubscribe_text`` labels the link in the bodies."""

    to: str
    language: str
    subject: str
    text: str
    html: str | None = None
    unsubscribe_url: str | None = None
    unsubscribe_text: str | None = None

    def __post_init__(self) -> None:
        check_address(self.to)
        if self.language not in LANGUAGES:
            raise InvalidOutreachInput("language", f"language is one of {', '.join(LANGUAGES)}")
        _one_line("subject", self.subject, MAX_SUBJECT)
        for name, body in (("text", self.text), ("html", self.html or "x")):
            if not body.strip() or len(body) > MAX_TEXT:
                raise InvalidOutreachInput(name, f"{name} must have 1 to {MAX_TEXT} characters")
        if self.unsubscribe_url is not None:
            _one_line("unsubscribe_url", self.unsubscribe_url, MAX_URL)
            if not self.unsubscribe_url.startswith(("https://", "http://")):
                raise InvalidOutreachInput("unsubscribe_url", "the unsubscribe link is not a URL")
            _one_line("unsubscribe_text", self.unsubscribe_text or "", MAX_SUBJECT)

    def to_payload(self) -> dict[str, Any]:
        """The outbox form (the address lives in the row's ``recipient``)."""
        payload = asdict(self)
        del payload["to"]
        return payload

    @classmethod
    def from_payload(cls, to: str, payload: dict[str, Any]) -> Letter:
        known = {k: payload[k] for k in cls.__dataclass_fields__ if k in payload and k != "to"}
        return cls(to=to, **known)


def compose(letter: Letter, *, sender: str, message_id: str, date: datetime) -> EmailMessage:
    """The message: plain text plus an HTML alternative, in ``letter.language``.

    ``message_id`` becomes ``Message-ID: <message_id@sender's domain>``.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(addr_spec=letter.to)
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to this
    text, body = letter.text, letter.html or _paragraphs(letter.text)
    if letter.unsubscribe_url is not None:
        message["List-Unsubscribe"] = f"<{letter.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        label = letter.unsubscribe_text or ""
        text = f"{text.rstrip()}\n\n-- \n{label}\n{letter.unsubscribe_url}\n"
        link = html.escape(letter.unsubscribe_url, quote=True)
        body += f'\n<hr>\n<p><a href="{link}">{html.escape(label)}</a></p>'
    message.set_content(text, charset="utf-8")
    message.add_alternative(_document(letter, body), subtype="html", charset="utf-8")
    # after the bodies: setting a body clears (and moves) every Content-* header
    message["Content-Language"] = letter.language
    return message


def _paragraphs(text: str) -> str:
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in parts)


def _document(letter: Letter, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{letter.language}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(letter.subject)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


class SmtpMailer:
    """Sends each letter over its own SMTP connection (aiosmtplib).

    ``start_tls``: True requires STARTTLS, False forbids it, None uses it when offered;
    ``use_tls`` is implicit TLS (port 465). The user and password, when given, log in.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        start_tls: bool | None = None,
        use_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        local_hostname: str | None = None,
    ) -> None:
        if not parseaddr(sender)[1]:
            raise ValueError(f"the sender {sender!r} has no address")
        self.sender = sender
        self._host, self._port = host, port
        self._start_tls, self._use_tls = start_tls, use_tls
        self._username, self._password = username, password
        self._timeout, self._local_hostname = timeout, local_hostname

    async def send_letter(self, letter: Letter, *, message_id: str, date: datetime) -> Reply:
        message = compose(letter, sender=self.sender, message_id=message_id, date=date)
        return await self.send(message)

    async def send(self, message: EmailMessage) -> Reply:
        """Send one message; every failure becomes a `Reply` (nothing is raised but bugs)."""
        try:
            _, response = await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                start_tls=self._start_tls,
                use_tls=self._use_tls,
                timeout=self._timeout,
                local_hostname=self._local_hostname,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [r.code for r in refused.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in refused.recipients)
            permanent = bool(codes) and all(code >= 500 for code in codes)
            outcome = Outcome.FAILED if permanent else Outcome.RETRY
            return Reply(outcome, codes[0] if codes else None, text[:REPLY_TEXT])
        except aiosmtplib.SMTPResponseException as error:
            return Reply(Outcome.RETRY, error.code, f"{error.code} {error.message}"[:REPLY_TEXT])
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return Reply(Outcome.RETRY, None, f"{type(error).__name__}: {error}"[:REPLY_TEXT])
        # the end of DATA succeeds with 250 only (RFC 5321); aiosmtplib returns its text
        return Reply(Outcome.DELIVERED, 250, f"250 {response}"[:REPLY_TEXT])
