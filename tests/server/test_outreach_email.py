"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1): the message, its language, its
one-click unsubscribe link and token; refusals; the outbox surviving a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage

import pytest

from server.outreach import InvalidOutreachInput, InvalidUnsubscribeLink
from server.outreach.email import Letter, SmtpMailer
from server.outreach.service import Outreach
from server.outreach.unsubscribe import UnsubscribeTokens, Unsubscription
from server.outreach.worker import OutboxWorker
from storage.database import Database
from storage.outreach import OutboxStore
from tests.support.outreach import Clock, MailSink, make_user

KEY = b"outreach-tests-only-key-0123456789"
BASE = "https://veche.test/unsubscribe/"
LEASE = timedelta(minutes=2)
SUBJECT = "Нова обществена консултация: Общински план за развитие на Смолян"
TEXT = "Здравейте,\n\nОткрита е нова консултация.\nКраен срок: 12 март."


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as database:
        yield database


@pytest.fixture
async def sink() -> AsyncIterator[MailSink]:
    async with MailSink(refused=["nobody@veche.test"]) as sink:
        yield sink


def _mailer(sink: MailSink) -> SmtpMailer:
    return SmtpMailer(
        "127.0.0.1",
        sink.port,
        sender="Вече <noreply@veche.test>",
        start_tls=False,
        timeout=5,
        local_hostname="app.veche.test",
    )


def _worker(database: Database, sink: MailSink, clock: Clock) -> OutboxWorker:
    return OutboxWorker(
        OutboxStore(database),
        mailer=_mailer(sink),
        webhooks=None,
        clock=clock,
        draw=lambda: 0.5,
        lease=LEASE,
        attempt_timeout=5,
    )


async def _mail(
    database: Database, outreach: Outreach, user_id: int, to: str, **extra: str
) -> int | None:
    async with database.writing() as session:
        return await outreach.mail(
            session,
            user_id=user_id,
            to=to,
            language="bg",
            event_type="consultation.opened",
            subject=SUBJECT,
            text=TEXT,
            unsubscribe_text="Отписване от известията за консултации",
            subscription=12,
            **extra,
        )


def _parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(text, EmailMessage)
    assert isinstance(html, EmailMessage)
    return text.get_content(), html.get_content()


async def test_the_email_arrives_in_its_language_with_a_one_click_unsubscribe_link(
    database: Database, sink: MailSink
) -> None:
    clock, tokens = Clock(), UnsubscribeTokens(KEY)
    outreach = Outreach(tokens=tokens, unsubscribe_base=BASE, clock=clock)
    ana = await make_user(database, "ana")
    row_id = await _mail(database, outreach, ana, "ana@veche.test", key="consultation:3")
    assert row_id is not None
    assert await _mail(database, outreach, ana, "ana@veche.test", key="consultation:3") is None

    assert await _worker(database, sink, clock).deliver_due() == 1
    [message] = await sink.wait_for(1)
    entry = await OutboxStore(database).get(row_id)
    assert entry is not None
    assert (entry.state, entry.attempts, entry.delivered_at) == ("delivered", 1, clock.now)

    assert message["Subject"] == SUBJECT
    assert message["To"] == "ana@veche.test"
    assert message["From"] == "Вече <noreply@veche.test>"
    assert message["Content-Language"] == "bg"
    assert message["Message-ID"] == f"<{entry.message_id}@veche.test>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(message["List-Unsubscribe"])
    assert header.startswith(f"<{BASE}")
    assert header.endswith(">")
    link = header[1:-1]
    assert tokens.verify(link.removeprefix(BASE)) == Unsubscription(ana, 12)

    assert message.is_multipart()
    assert message.get_content_type() == "multipart/alternative"
    text, html = _parts(message)
    assert TEXT in text
    assert "Отписване от известията за консултации" in text
    assert link in text
    assert "<p>Здравейте,</p>" in html
    assert '<html lang="bg">' in html
    assert f'<a href="{link}">Отписване от известията за консултации</a>' in html

    log = await OutboxStore(database).attempts(row_id)
    assert [(a.outcome, a.status) for a in log] == [("delivered", 250)]
    assert log[0].reply is not None
    assert log[0].reply.startswith("250 ")


async def test_an_english_letter_with_its_own_html(database: Database, sink: MailSink) -> None:
    clock = Clock()
    outreach = Outreach(tokens=UnsubscribeTokens(KEY), unsubscribe_base=BASE, clock=clock)
    boris = await make_user(database, "boris", locale="en")
    async with database.writing() as session:
        await outreach.mail(
            session,
            user_id=boris,
            to="boris@veche.test",
            language="en",
            event_type="report.published",
            subject="The consultation report is published",
            text="Read the report.",
            html='<p>Read <a href="https://veche.test/r/1">the report</a>.</p>',
            unsubscribe_text="Unsubscribe from all Veche e-mail",
        )
    await _worker(database, sink, clock).deliver_due()
    [message] = await sink.wait_for(1)
    assert message["Content-Language"] == "en"
    text, html = _parts(message)
    assert text.startswith("Read the report.")
    assert '<a href="https://veche.test/r/1">the report</a>' in html
    link = str(message["List-Unsubscribe"])[1:-1]
    assert UnsubscribeTokens(KEY).verify(link.removeprefix(BASE)) == Unsubscription(boris, "all")


async def test_a_refused_mailbox_fails_at_once_and_a_dead_server_is_retried(
    database: Database, sink: MailSink
) -> None:
    clock = Clock()
    outreach = Outreach(tokens=UnsubscribeTokens(KEY), unsubscribe_base=BASE, clock=clock)
    ana = await make_user(database, "ana")
    refused = await _mail(database, outreach, ana, "nobody@veche.test")
    assert refused is not None
    await _worker(database, sink, clock).deliver_due()
    entry = await OutboxStore(database).get(refused)
    assert entry is not None
    assert entry.state == "failed"
    assert entry.last_error is not None
    assert entry.last_error.startswith("550 5.1.1")

    # nothing listens on this port any more: a retry in 10 s (+ half the jitter)
    async with MailSink() as gone:
        port = gone.port
    queued = await _mail(database, outreach, ana, "ana@veche.test")
    assert queued is not None
    dead = SmtpMailer("127.0.0.1", port, sender="noreply@veche.test", timeout=2)
    worker = OutboxWorker(
        OutboxStore(database), mailer=dead, webhooks=None, clock=clock, draw=lambda: 0.5
    )
    await worker.deliver_due()
    entry = await OutboxStore(database).get(queued)
    assert entry is not None
    assert (entry.state, entry.attempts) == ("pending", 1)
    assert entry.next_attempt_at == clock.now + timedelta(seconds=11)
    [attempt] = await OutboxStore(database).attempts(queued)
    assert (attempt.outcome, attempt.status) == ("retry", None)
    assert attempt.reply is not None
    assert "Connect" in attempt.reply


async def test_queued_emails_survive_a_restart_and_are_sent_once(
    database_url: str, sink: MailSink
) -> None:
    clock = Clock()
    outreach = Outreach(tokens=UnsubscribeTokens(KEY), unsubscribe_base=BASE, clock=clock)
    async with Database(database_url) as before:
        ana = await make_user(before, "ana")
        in_flight = await _mail(before, outreach, ana, "ana@veche.test", key="first")
        queued = await _mail(before, outreach, ana, "ana@veche.test", key="second")
        # a worker claims the first and the process dies before it is sent
        claimed = await OutboxStore(before).claim(clock.now, 1, LEASE)
        assert [c.id for c in claimed] == [in_flight]

    async with Database(database_url) as after:
        worker, store = _worker(after, sink, clock), OutboxStore(after)
        assert await worker.deliver_due() == 1  # the one never claimed
        [first] = await sink.wait_for(1)
        clock.advance(LEASE.total_seconds() - 1)
        assert await worker.deliver_due() == 0  # the dead worker's lease still runs
        clock.advance(1)
        assert await worker.deliver_due() == 1
        assert await worker.deliver_due() == 0
        messages = await sink.wait_for(2)
        sent_once = {}
        for row_id, attempts in ((queued, 1), (in_flight, 2)):
            entry = await store.get(row_id)  # type: ignore[arg-type]
            assert entry is not None
            assert (entry.state, entry.attempts) == ("delivered", attempts)
            sent_once[row_id] = f"<{entry.message_id}@veche.test>"
    assert len(messages) == 2
    assert [str(m["Message-ID"]) for m in messages] == [sent_once[queued], sent_once[in_flight]]
    assert first is messages[0]


def test_letters_refuse_what_cannot_be_sent() -> None:
    good = {"to": "ana@veche.test", "language": "bg", "subject": "Тема", "text": "Текст"}
    Letter(**good)
    for field, value in [
        ("to", "ana"),
        ("to", "Ana <ana@veche.test>"),
        ("to", "ana@veche.test\r\nBcc: x@y.z"),
        ("language", "de"),
        ("subject", "a\nBcc: x@y.z"),
        ("subject", ""),
        ("text", " "),
        ("text", "x" * 100_001),
    ]:
        with pytest.raises(InvalidOutreachInput) as caught:
            Letter(**{**good, field: value})
        assert caught.value.field in (field, "address")
    with pytest.raises(InvalidOutreachInput):
        Letter(**good, unsubscribe_url="https://veche.test/u/x")  # no label for the link
    letter = Letter(**good, unsubscribe_url="https://veche.test/u/x", unsubscribe_text="Отказ")
    assert Letter.from_payload("ana@veche.test", letter.to_payload()) == letter


def test_unsubscribe_tokens_verify_only_as_signed() -> None:
    tokens = UnsubscribeTokens(KEY)
    token = tokens.issue(7, 12)
    assert tokens.verify(token) == Unsubscription(7, 12)
    assert tokens.verify(tokens.issue(7)) == Unsubscription(7, "all")
    user, subscription, mac = token.split(".")
    for forged in [
        f"8.{subscription}.{mac}",
        f"{user}.all.{mac}",
        f"{user}.{subscription}.{mac[:-1]}A" if mac[-1] != "A" else f"{user}.{subscription}.B",
        "",
        "7.12",
        token + "x" * 100,
    ]:
        with pytest.raises(InvalidUnsubscribeLink):
            tokens.verify(forged)
    with pytest.raises(InvalidUnsubscribeLink):
        UnsubscribeTokens(b"another-key-of-the-same-length-0123").verify(token)
    with pytest.raises(ValueError, match="16 bytes"):
        UnsubscribeTokens(b"short")
