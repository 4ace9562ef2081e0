"""The outbox (storage/outreach.py) on SQLite and PostgreSQL: enqueueing inside the caller's
transaction, idempotent keys, fan-out to endpoints, claims under a lease, the delivery log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from storage.database import Database
from storage.outbox_enqueue import enqueue_email, enqueue_webhooks
from storage.outreach import DISABLED_ENDPOINT, AttemptResult, OutboxStore
from storage.webhook_endpoints import WebhookEndpointStore
from tests.support.outreach import make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
DELIVERED = AttemptResult("delivered", 200, "ok", 12)


class Boom(Exception):
    pass


async def _mail(database: Database, user_id: int, key: str | None = None) -> int | None:
    async with database.writing() as session:
        return await enqueue_email(
            session,
            event_type="consultation.opened",
            address="ana@example.org",
            payload={"subject": "Нова консултация"},
            now=T0,
            user_id=user_id,
            key=key,
        )


async def test_deliveries_commit_with_the_callers_transaction_or_not_at_all(
    database: Database,
) -> None:
    outbox = OutboxStore(database)
    ana = await make_user(database, "ana")

    async def change_that_fails() -> None:
        async with database.writing() as session:
            await enqueue_email(
                session,
                event_type="consultation.opened",
                address="ana@example.org",
                payload={"subject": "x"},
                now=T0,
                user_id=ana,
            )
            raise Boom  # the change it announced failed: nothing is sent

    with pytest.raises(Boom):
        await change_that_fails()
    assert await outbox.next_due() is None

    row_id = await _mail(database, ana)
    assert row_id is not None
    entry = await outbox.get(row_id)
    assert entry is not None
    assert (entry.state, entry.attempts, entry.channel) == ("pending", 0, "email")
    assert entry.message_id.startswith("msg_")
    assert await outbox.next_due() == T0


async def test_a_repeated_key_adds_nothing_and_random_ids_differ(database: Database) -> None:
    ana = await make_user(database, "ana")
    first = await _mail(database, ana, key="deadline:7")
    assert first is not None
    assert await _mail(database, ana, key="deadline:7") is None
    assert await _mail(database, ana, key="deadline:8") not in (None, first)
    one, two = await _mail(database, ana), await _mail(database, ana)
    assert None not in (one, two)
    assert one != two


async def test_webhooks_fan_out_to_enabled_endpoints_that_want_the_type(
    database: Database,
) -> None:
    endpoints = WebhookEndpointStore(database)
    ana, boris = await make_user(database, "ana"), await make_user(database, "boris")
    everything = await endpoints.create(ana, "https://a.test/h", "", None, "whsec_a", T0)
    await endpoints.create(boris, "https://b.test/h", "", ["report.published"], "whsec_b", T0)
    stopped = await endpoints.create(ana, "https://c.test/h", "", None, "whsec_c", T0)
    assert await endpoints.disable(stopped.id, T0, "no longer used")
    assert await endpoints.count_enabled(ana) == 1

    async def announce(
        event_type: str, audience: list[int] | None = None, key: str | None = None
    ) -> list[int]:
        async with database.writing() as session:
            return await enqueue_webhooks(
                session,
                event_type=event_type,
                payload={"n": 1},
                now=T0,
                audience=audience,
                key=key,
            )

    outbox = OutboxStore(database)
    opened = await announce("consultation.opened")
    assert [(await outbox.get(i)).endpoint_id for i in opened] == [everything.id]  # type: ignore[union-attr]
    assert len(await announce("report.published")) == 2
    assert len(await announce("report.published", audience=[boris])) == 1
    assert await announce("report.published", audience=[]) == []
    assert len(await announce("report.published", key="report:1")) == 2
    assert await announce("report.published", key="report:1") == []


async def test_a_claim_leases_the_row_and_a_dead_workers_row_comes_back(
    database: Database,
) -> None:
    outbox = OutboxStore(database)
    ana = await make_user(database, "ana")
    row_id = await _mail(database, ana)

    claimed = await outbox.claim(T0, 10, LEASE)
    assert [c.id for c in claimed] == [row_id]
    assert (claimed[0].attempts, claimed[0].recipient) == (1, "ana@example.org")
    assert claimed[0].payload == {"subject": "Нова консултация"}
    assert await outbox.claim(T0 + LEASE - timedelta(seconds=1), 10, LEASE) == []
    assert await outbox.claim(T0, 10, LEASE, channels=("webhook",)) == []

    # the worker died: when the lease runs out the row is claimed again, under a new lease
    again = await outbox.claim(T0 + LEASE, 10, LEASE)
    assert [(c.id, c.attempts) for c in again] == [(row_id, 2)]
    assert again[0].lease != claimed[0].lease

    # the first worker's late outcome does not overwrite the row, but its attempt is logged
    assert not await outbox.finish(claimed[0], DELIVERED, T0 + LEASE)
    assert await outbox.finish(again[0], DELIVERED, T0 + LEASE)
    entry = await outbox.get(row_id)  # type: ignore[arg-type]
    assert entry is not None
    assert (entry.state, entry.delivered_at, entry.attempts) == ("delivered", T0 + LEASE, 2)
    log = await outbox.attempts(row_id)  # type: ignore[arg-type]
    assert [(a.outcome, a.status, a.duration_ms) for a in log] == [("delivered", 200, 12)] * 2
    assert await outbox.next_due() is None


async def test_retry_then_give_up_and_the_log_keeps_every_attempt(database: Database) -> None:
    outbox = OutboxStore(database)
    ana = await make_user(database, "ana")
    row_id = await _mail(database, ana)
    assert row_id is not None
    first = (await outbox.claim(T0, 10, LEASE))[0]
    retry_at = T0 + timedelta(seconds=11)
    busy = AttemptResult("retry", 451, "451 4.3.0 try later " + "x" * 600, 30)
    assert await outbox.finish(first, busy, T0, retry_at=retry_at)
    entry = await outbox.get(row_id)
    assert entry is not None
    assert (entry.state, entry.next_attempt_at) == ("pending", retry_at)
    assert entry.last_error is not None
    assert len(entry.last_error) == 500
    with pytest.raises(ValueError, match="retry_at"):
        await outbox.finish(first, busy, T0)

    second = (await outbox.claim(retry_at, 10, LEASE))[0]
    refused = AttemptResult("failed", 550, "550 5.1.1 no such mailbox", 8)
    assert await outbox.finish(second, refused, retry_at)
    entry = await outbox.get(row_id)
    assert entry is not None
    assert entry.state == "failed"
    assert entry.last_error == "550 5.1.1 no such mailbox"
    log = await outbox.attempts(row_id)
    assert [(a.outcome, a.status) for a in log] == [("retry", 451), ("failed", 550)]
    assert await outbox.claim(retry_at + timedelta(days=1), 10, LEASE) == []


async def test_gone_disables_the_endpoint_and_its_queued_rows_are_given_up(
    database: Database,
) -> None:
    outbox, endpoints = OutboxStore(database), WebhookEndpointStore(database)
    ana = await make_user(database, "ana")
    endpoint = await endpoints.create(ana, "https://a.test/h", "", None, "whsec_a", T0)
    async with database.writing() as session:
        for n in range(3):
            await enqueue_webhooks(session, event_type="x.y", payload={"n": n}, now=T0)

    first = (await outbox.claim(T0, 1, LEASE))[0]
    assert (first.url, first.secrets) == ("https://a.test/h", ("whsec_a",))
    assert await outbox.finish(first, AttemptResult("gone", 410, "gone", 5), T0)
    stored = await endpoints.get(endpoint.id)
    assert stored is not None
    assert (stored.disabled_at, stored.disabled_reason) == (T0, "gone")

    assert await outbox.claim(T0, 10, LEASE) == []  # the other two are given up, logged
    given_up = await outbox.for_endpoint(endpoint.id)
    assert [e.state for e in given_up] == ["failed"] * 3
    assert given_up[0].last_error == DISABLED_ENDPOINT
    assert [a.reply for a in await outbox.attempts(given_up[0].id)] == [DISABLED_ENDPOINT]


async def test_rotation_signs_with_both_secrets_until_the_overlap_ends(
    database: Database,
) -> None:
    outbox, endpoints = OutboxStore(database), WebhookEndpointStore(database)
    ana = await make_user(database, "ana")
    endpoint = await endpoints.create(ana, "https://a.test/h", "d", ["a.b"], "whsec_old", T0)
    assert endpoint.event_types == ("a.b",)
    assert endpoint.wants("a.b")
    assert not endpoint.wants("a.c")
    rotated = await endpoints.rotate(endpoint.id, "whsec_new", T0 + timedelta(hours=1), T0)
    assert rotated is not None
    assert rotated.previous_secret_until == T0 + timedelta(hours=1)
    async with database.writing() as session:
        await enqueue_webhooks(session, event_type="a.b", payload={}, now=T0)
        await enqueue_webhooks(session, event_type="a.b", payload={}, now=T0)
    during = (await outbox.claim(T0, 1, LEASE))[0]
    assert during.secrets == ("whsec_new", "whsec_old")
    after = (await outbox.claim(T0 + timedelta(hours=1), 1, LEASE))[0]
    assert after.secrets == ("whsec_new",)

    at_once = await endpoints.rotate(endpoint.id, "whsec_newer", T0, T0)  # no overlap
    assert at_once is not None
    assert at_once.previous_secret_until is None
    assert await endpoints.rotate(10_000, "whsec_x", T0, T0) is None


async def test_prune_removes_only_finished_rows_older_than_the_cut(database: Database) -> None:
    outbox = OutboxStore(database)
    ana = await make_user(database, "ana")
    done, waiting = await _mail(database, ana), await _mail(database, ana)
    claimed = await outbox.claim(T0, 1, LEASE)
    assert [c.id for c in claimed] == [done]
    await outbox.finish(claimed[0], DELIVERED, T0)
    assert await outbox.prune(T0) == 0  # created at T0: not before the cut
    assert await outbox.prune(T0 + timedelta(days=1)) == 1
    assert await outbox.get(done) is None  # type: ignore[arg-type]
    assert await outbox.attempts(done) == []  # type: ignore[arg-type]
    assert await outbox.get(waiting) is not None  # type: ignore[arg-type]


async def test_concurrent_claims_never_share_a_row(database: Database) -> None:
    """Several workers (two databases handles: two processes) claim disjoint batches."""
    ana = await make_user(database, "ana")
    async with database.writing() as session:
        for n in range(30):
            await enqueue_email(
                session,
                event_type="a.b",
                address="ana@example.org",
                payload={"n": n},
                now=T0,
                user_id=ana,
            )
    async with Database(database.url) as other:
        stores = [OutboxStore(database), OutboxStore(other)] * 2
        batches = await asyncio.gather(*(s.claim(T0, 10, LEASE) for s in stores))
    ids = [c.id for batch in batches for c in batch]
    assert len(ids) == len(set(ids)) == 30
