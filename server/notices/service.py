"""Announcing events to those who follow them, exactly once on any node.

`announce_due` (every few seconds on every node, and at once when nudged) finds what is not
yet announced — consultations opened, consultations closing within the reminder delay,
reports published, decision records of public rooms — and for each, in one transaction,
marks it announced and queues its e-mails and webhook deliveries (storage/notices.py). Who
gets an e-mail: everyone with an address whose subscription matches.

What matches:

- a consultation (opened, closing, reported): a subscription to everything; to its room; to
  its oblast (to any oblast, for a national one); to one of its sectors; to an organisation
  it concerns (in its oblast or any for a national one, sharing a sector or any when it
  names none);
- a decision of a public room: a subscription to everything or to its room.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.directory.kinds import SECTOR_SLUGS
from server.directory.regions import oblast
from server.notices import InvalidSubscription, SubscriptionNotFound
from server.notices.texts import (
    Wording,
    consultation_closing,
    consultation_opened,
    consultation_reported,
    decision_recorded,
)
from server.outreach.service import Outreach
from storage.database import Database
from storage.directory import DirectoryStore
from storage.notices import (
    DecisionFacts,
    NoticeStore,
    StoredSubscription,
    TooManySubscriptions,
    concerned_organisations,
    consultation_facts,
    decision_facts,
    mark,
    recipients,
)
from storage.rooms import RoomStore

KINDS = ("all", "region", "sector", "room", "organisation")


class Notices:
    def __init__(
        self,
        *,
        database: Database,
        store: NoticeStore,
        outreach: Outreach,
        rooms: RoomStore,
        directory: DirectoryStore,
        base_url: str,
        reminder_seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._database, self.store, self._outreach = database, store, outreach
        self._rooms, self._directory, self._base = rooms, directory, base_url
        self._reminder = reminder_seconds
        self.clock = clock  # replaced in tests to reach a deadline without waiting

    # -- what people follow ----------------------------------------------------------------

    async def subscribe(
        self, user_id: int, kind: str, target: str
    ) -> tuple[StoredSubscription, bool]:
        await self._check(kind, target)
        try:
            return await self.store.subscribe(
                user_id, kind, target if kind != "all" else "", self.clock()
            )
        except TooManySubscriptions:
            raise InvalidSubscription("kind", "at most 100 subscriptions each") from None

    async def unsubscribe(self, user_id: int, subscription_id: int | None) -> None:
        if (
            not await self.store.unsubscribe(user_id, subscription_id)
            and subscription_id is not None
        ):
            raise SubscriptionNotFound()

    async def _check(self, kind: str, target: str) -> None:
        if kind not in KINDS:
            raise InvalidSubscription("kind", f"kind: one of {', '.join(KINDS)}")
        unknown = {
            "region": lambda: oblast(target) is None,
            "sector": lambda: target not in SECTOR_SLUGS,
        }
        if kind in unknown and unknown[kind]():
            raise InvalidSubscription("target", f"target: no {kind} {target!r}")
        if kind == "room" and await self._rooms.find_room(target) is None:
            raise InvalidSubscription("target", f"target: no room {target!r}")
        if kind == "organisation" and await self._directory.get(target) is None:
            raise InvalidSubscription("target", f"target: no organisation {target!r}")

    # -- announcing ------------------------------------------------------------------------

    async def run(self) -> None:
        """`announce_due`, for the periodic job."""
        await self.announce_due()

    async def announce_due(self) -> int:
        """Announce everything due; how many events this call announced."""
        now = self.clock()
        due = await self.store.unannounced(now, self._reminder)
        done = 0
        for kind, ids in due.items():
            for row_id in ids:
                done += await self._announce(kind, row_id, now)
        return done

    async def _announce(self, kind: str, row_id: int, now: datetime) -> int:
        async with self._database.writing() as session:
            if not await mark(session, kind, row_id, now):
                return 0  # another node did
            if kind == "decision":
                await self._decision(session, await decision_facts(session, row_id), row_id)
                return 1
            facts = await consultation_facts(session, row_id)
            url = f"{self._base}/consultations/{facts.id}"
            data = {
                "consultation": {
                    "id": facts.id,
                    "room": facts.room,
                    "proposal": {"id": facts.proposal_id, "title": facts.title},
                    "oblast": facts.oblast,
                    "sectors": facts.sectors,
                    "closes_at": facts.closes_at.isoformat(),
                    "url": url,
                }
            }

            def words(locale: str) -> Wording:
                if kind == "opened":
                    return consultation_opened(
                        locale, facts.title, facts.room_title, facts.closes_at, url
                    )
                if kind == "closing":
                    return consultation_closing(locale, facts.title, facts.closes_at, url)
                return consultation_reported(locale, facts.title, facts.comments, url + "/report")

            organisations = await concerned_organisations(session, facts.oblast, facts.sectors)
            matches: list[tuple[str, str | None]] = [("all", ""), ("room", facts.room)]
            matches.append(("region", facts.oblast))  # None (national): every region
            matches += [("sector", sector) for sector in facts.sectors]
            matches += [("organisation", slug) for slug in organisations]
            event_type = f"consultation.{kind}"
            await self._send(session, matches, event_type, f"{event_type}:{row_id}", words, data)
            return 1

    async def _decision(self, session: AsyncSession, facts: DecisionFacts, row_id: int) -> None:
        content = facts.record
        if not facts.public or content.get("kind"):
            return  # private rooms' decisions stay in the room; reports are announced above
        title = (content.get("proposal") or {}).get("title") or content["poll"]["title"]
        outcome = str(content.get("outcome", ""))
        url = f"{self._base}/rooms/{facts.room}/decisions/{facts.position}"
        data = {
            "decision": {
                "room": facts.room,
                "position": facts.position,
                "sha256": facts.sha256,
                "outcome": outcome,
                "title": title,
                "url": url,
            }
        }
        await self._send(
            session,
            [("all", ""), ("room", facts.room)],
            "decision.recorded",
            f"decision:{row_id}",
            lambda locale: decision_recorded(locale, title, facts.room_title, outcome, url),
            data,
        )

    async def _send(
        self,
        session: AsyncSession,
        matches: Sequence[tuple[str, str | None]],
        event_type: str,
        key: str,
        words: Callable[[str], Wording],
        data: dict[str, Any],
    ) -> None:
        for person in await recipients(session, matches):
            wording = words(person.locale)
            await self._outreach.mail(
                session,
                user_id=person.user_id,
                to=person.email,
                language=person.locale,
                event_type=event_type,
                subject=wording.subject,
                text=wording.text,
                unsubscribe_text=wording.unsubscribe,
                subscription=person.subscription_id,
                key=key,
            )
        await self._outreach.announce(session, event_type=event_type, data=data, key=key)
