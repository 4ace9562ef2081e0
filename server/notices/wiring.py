"""The notices' part of the composition: the outbox worker, the senders, the endpoints and
the announcer, built from the settings (server/services.py calls `start_notices`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.notices.service import Notices
from server.outreach.email import SmtpMailer
from server.outreach.endpoints import WebhookEndpoints
from server.outreach.service import Outreach
from server.outreach.unsubscribe import UnsubscribeTokens
from server.outreach.webhooks import WebhookSender
from server.outreach.worker import OutboxWorker
from server.settings import Settings
from server.supervisor import TaskSupervisor, every
from storage.database import Database
from storage.directory import DirectoryStore
from storage.models import utc_now
from storage.notices import NoticeStore
from storage.outreach import OutboxStore
from storage.rooms import RoomStore
from storage.webhook_endpoints import WebhookEndpointStore


@dataclass
class NoticeServices:
    notices: Notices
    outreach: Outreach
    webhooks: WebhookEndpoints
    worker: OutboxWorker
    sender: WebhookSender

    async def close(self) -> None:
        """After the supervisor stopped the worker, before the database is disposed."""
        await self.sender.aclose()


def start_notices(
    settings: Settings,
    database: Database,
    tasks: TaskSupervisor,
    *,
    key: bytes,
    rooms: RoomStore,
    directory: DirectoryStore,
) -> NoticeServices:
    outbox = OutboxStore(database)
    mailer = None
    if settings.smtp_host is not None:
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_sender,
            start_tls=settings.smtp_starttls,
            username=settings.smtp_user,
            password=settings.smtp_password,
            timeout=30.0,
        )
    sender = WebhookSender(timeout=10.0, max_connections=8)
    worker = OutboxWorker(
        outbox,
        mailer=mailer,
        webhooks=sender,
        clock=utc_now,
        batch_size=20,
        concurrency=4,
        attempt_timeout=30.0,
        lease=timedelta(minutes=2),
        idle_seconds=30.0,
    )
    tasks.spawn(worker.run(), name="outbox")
    outreach = Outreach(
        tokens=UnsubscribeTokens(key),
        unsubscribe_base=f"{settings.base_url}/unsubscribe/",
        nudge=worker.nudge,
        clock=utc_now,
    )
    endpoints = WebhookEndpoints(
        WebhookEndpointStore(database),
        outbox,
        clock=utc_now,
        allow_http=settings.allow_http_webhooks,
    )
    notices = Notices(
        database=database,
        store=NoticeStore(database),
        outreach=outreach,
        rooms=rooms,
        directory=directory,
        base_url=settings.base_url,
        reminder_seconds=settings.reminder_seconds,
        clock=utc_now,
    )
    tasks.spawn(every(settings.notice_every, notices.run, "notices"), name="notices")
    return NoticeServices(notices, outreach, endpoints, worker, sender)
