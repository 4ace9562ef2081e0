"""Enqueueing e-mails and webhook events inside the caller's transaction.

The producers of events (consultations, decisions, the directory) call `Outreach.mail` and
`Outreach.announce` with the session of the change they announce: the deliveries commit with
it or not at all. After that transaction commits, the worker of this process is nudged (no
nudge for a rollback); other processes find the rows on their timer. The texts are the
caller's, already translated; this adds the unsubscribe link and checks sizes and shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.outreach import InvalidOutreachInput
from server.outreach.email import Letter
from server.outreach.unsubscribe import ALL, UnsubscribeTokens, Unsubscription
from server.outreach.webhooks import body_of, envelope
from storage.models import utc_now
from storage.outbox_enqueue import enqueue_email, enqueue_webhooks

EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
MAX_EVENT_TYPE = 64
MAX_KEY = 200
MAX_WEBHOOK_BODY = 64 * 1024  # bytes of one event's JSON body
_NUDGE_PENDING = "veche.outreach.nudge"


def check_event_type(event_type: str) -> None:
    """Event types are dotted lower-case names, e.g. ``consultation.opened``."""
    if len(event_type) > MAX_EVENT_TYPE or not EVENT_TYPE.fullmatch(event_type):
        raise InvalidOutreachInput(
            "event_type", f"{event_type!r} is not a dotted lower-case name (at most 64)"
        )


def _check_key(key: str | None) -> None:
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise InvalidOutreachInput("key", f"an idempotency key has 1 to {MAX_KEY} characters")


class Outreach:
    """``unsubscribe_base`` is the unsubscribe page's URL, to which a token is appended
    (e.g. ``https://veche.example/unsubscribe/``); ``nudge`` wakes this process's worker."""

    def __init__(
        self,
        *,
        tokens: UnsubscribeTokens,
        unsubscribe_base: str,
        nudge: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not unsubscribe_base.startswith(("https://", "http://")):
            raise ValueError(f"the unsubscribe base {unsubscribe_base!r} is not a URL")
        self._tokens, self._base = tokens, unsubscribe_base
        self._nudge, self._clock = nudge, clock

    def unsubscribe_url(self, user_id: int, subscription: int | Literal["all"] = ALL) -> str:
        return self._base + self._tokens.issue(user_id, subscription)

    def unsubscription(self, token: str) -> Unsubscription:
        """What an unsubscribe link asks; InvalidUnsubscribeLink when this server did not
        sign it."""
        return self._tokens.verify(token)

    async def mail(
        self,
        session: AsyncSession,
        *,
        user_id: int,
        to: str,
        language: str,
        event_type: str,
        subject: str,
        text: str,
        unsubscribe_text: str,
        html: str | None = None,
        subscription: int | Literal["all"] = ALL,
        key: str | None = None,
    ) -> int | None:
        """Queue one e-mail to a user, with a link that stops ``subscription`` (its id, or all
        mail). Returns the outbox id, or None when ``key`` was queued for this user before."""
        check_event_type(event_type)
        _check_key(key)
        letter = Letter(
            to=to,
            language=language,
            subject=subject,
            text=text,
            html=html,
            unsubscribe_url=self.unsubscribe_url(user_id, subscription),
            unsubscribe_text=unsubscribe_text,
        )
        queued = await enqueue_email(
            session,
            event_type=event_type,
            address=to,
            payload=letter.to_payload(),
            now=self._clock(),
            user_id=user_id,
            key=key,
        )
        self._nudge_after_commit(session)
        return queued

    async def announce(
        self,
        session: AsyncSession,
        *,
        event_type: str,
        data: Mapping[str, Any],
        audience: Collection[int] | None = None,
        key: str | None = None,
    ) -> list[int]:
        """Queue a webhook event for every enabled endpoint that wants ``event_type`` (of the
        users in ``audience``, when given: those allowed to see it). ``data`` must be JSON."""
        check_event_type(event_type)
        _check_key(key)
        payload = envelope(event_type, data, self._clock())
        try:
            size = len(body_of(payload))
        except (TypeError, ValueError) as error:
            raise InvalidOutreachInput("data", f"the event data is not JSON: {error}") from None
        if size > MAX_WEBHOOK_BODY:
            raise InvalidOutreachInput("data", f"an event body holds at most {MAX_WEBHOOK_BODY} B")
        queued = await enqueue_webhooks(
            session,
            event_type=event_type,
            payload=payload,
            now=self._clock(),
            audience=audience,
            key=key,
        )
        if queued:
            self._nudge_after_commit(session)
        return queued

    def _nudge_after_commit(self, session: AsyncSession) -> None:
        # One listener per transaction: it fires at the commit (a rollback leaves it for the
        # session's next commit, which costs one spare look at the outbox).
        nudge, sync = self._nudge, session.sync_session
        if nudge is None or sync.info.get(_NUDGE_PENDING):
            return
        sync.info[_NUDGE_PENDING] = True

        def committed(session: Session) -> None:
            session.info.pop(_NUDGE_PENDING, None)
            nudge()

        event.listen(sync, "after_commit", committed, once=True)
