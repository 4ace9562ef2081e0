"""Webhooks to a real local receiver that verifies with `standardwebhooks`: signatures,
retries after a 500, the backoff schedule, 410, secret rotation, and no loss across a
restart (the worker in the supervisor, woken by the commit)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from server.outreach import (
    DeliveryNotFound,
    EndpointNotFound,
    InvalidOutreachInput,
    TooManyEndpoints,
)
from server.outreach.endpoints import WebhookEndpoints
from server.outreach.service import Outreach
from server.outreach.unsubscribe import UnsubscribeTokens
from server.outreach.webhooks import WebhookSender, check_secret, new_secret
from server.outreach.worker import RETRY_SCHEDULE, OutboxWorker, retry_delay
from server.supervisor import TaskSupervisor
from storage.database import Database
from storage.outreach import OutboxStore
from storage.webhook_endpoints import WebhookEndpointStore
from tests.support.outreach import Clock, WebhookReceiver, make_user

KEY = b"outreach-tests-only-key-0123456789"
LEASE = timedelta(minutes=2)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as database:
        yield database


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    sender = WebhookSender(timeout=5)
    yield sender
    await sender.aclose()


def _outreach(clock: Clock, nudge: Callable[[], None] | None = None) -> Outreach:
    return Outreach(
        tokens=UnsubscribeTokens(KEY),
        unsubscribe_base="https://veche.test/u/",
        clock=clock,
        nudge=nudge,
    )


def _worker(
    database: Database, sender: WebhookSender, clock: Clock, **options: float
) -> OutboxWorker:
    return OutboxWorker(
        OutboxStore(database),
        mailer=None,
        webhooks=sender,
        clock=clock,
        draw=lambda: 0.0,
        lease=LEASE,
        attempt_timeout=options.get("attempt_timeout", 5.0),
    )


async def _register(
    database: Database, clock: Clock, url: str, owner: str = "ana"
) -> tuple[WebhookEndpoints, int, str]:
    endpoints = WebhookEndpoints(
        WebhookEndpointStore(database), OutboxStore(database), clock=clock, allow_http=True
    )
    owner_id = await make_user(database, owner)
    endpoint, secret = await endpoints.register(
        owner_id, url, description="Общински портал", event_types=["consultation.opened"]
    )
    return endpoints, endpoint.id, secret


async def _announce(database: Database, outreach: Outreach, n: int = 1) -> list[int]:
    async with database.writing() as session:
        return await outreach.announce(
            session,
            event_type="consultation.opened",
            data={"consultation": n, "title": "Бюджет 2027 на община Пловдив"},
        )


async def test_a_500_is_retried_and_the_second_attempt_is_delivered_and_logged(
    database: Database, sender: WebhookSender
) -> None:
    clock = Clock()
    async with WebhookReceiver(secrets=[], answers=[500]) as receiver:
        endpoints, endpoint_id, secret = await _register(database, clock, receiver.url)
        receiver.secrets.append(secret)
        [row_id] = await _announce(database, _outreach(clock))
        worker = _worker(database, sender, clock)

        assert await worker.deliver_due() == 1
        store = OutboxStore(database)
        entry = await store.get(row_id)
        assert entry is not None
        assert (entry.state, entry.attempts) == ("pending", 1)
        assert entry.next_attempt_at == clock.now + RETRY_SCHEDULE[0]
        assert await worker.deliver_due() == 0  # not due yet

        clock.advance(RETRY_SCHEDULE[0].total_seconds())
        assert await worker.deliver_due() == 1
        first, second = await receiver.wait_for(2)

    assert [first.status, second.status] == [500, 200]
    assert first.verified == second.verified == [True]
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == entry.message_id
    assert first.body == second.body  # the same bytes on every attempt
    assert int(second.headers["webhook-timestamp"]) == int(clock.now.timestamp())
    event = json.loads(second.body)
    assert event["type"] == "consultation.opened"
    assert event["data"] == {"consultation": 1, "title": "Бюджет 2027 на община Пловдив"}

    entry = await store.get(row_id)
    assert entry is not None
    assert (entry.state, entry.attempts, entry.delivered_at) == ("delivered", 2, clock.now)
    log = await store.attempts(row_id)
    assert [(a.outcome, a.status, a.reply) for a in log] == [
        ("retry", 500, "status 500"),
        ("delivered", 200, "status 200"),
    ]
    assert all(a.duration_ms >= 0 for a in log)
    # what the endpoint's owner sees of it; another user sees nothing
    owner, stranger = entry.user_id, await make_user(database, "boris")
    assert owner is not None
    assert [e.id for e in await endpoints.deliveries(owner, endpoint_id)] == [row_id]
    assert await endpoints.attempts(owner, row_id) == log
    with pytest.raises(EndpointNotFound):
        await endpoints.deliveries(stranger, endpoint_id)
    with pytest.raises(DeliveryNotFound):
        await endpoints.attempts(stranger, row_id)


def test_the_backoff_schedule() -> None:
    seconds = [10, 60, 300, 1800, 7200, 21600]
    for attempts, base in enumerate(seconds, start=1):
        assert retry_delay(attempts, 0.0) == timedelta(seconds=base)
        assert retry_delay(attempts, 0.5) == timedelta(seconds=base * 1.1)
        delay = retry_delay(attempts, 0.999999)
        assert delay is not None
        assert timedelta(seconds=base) < delay < timedelta(seconds=base * 1.2)
    assert retry_delay(7, 0.0) is None
    assert retry_delay(0, 0.0) is None


async def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_retry(
    database: Database, sender: WebhookSender
) -> None:
    clock = Clock()
    async with WebhookReceiver(secrets=[], answers=[503] * 10, check=False) as receiver:
        await _register(database, clock, receiver.url)
        [row_id] = await _announce(database, _outreach(clock))
        worker, store = _worker(database, sender, clock), OutboxStore(database)
        waits = []
        for _ in range(10):  # bounded: the schedule has six retries
            assert await worker.deliver_due() == 1
            entry = await store.get(row_id)
            assert entry is not None
            if entry.state != "pending":
                break
            waits.append(entry.next_attempt_at - clock.now)
            clock.now = entry.next_attempt_at
        await receiver.wait_for(7)
    assert waits == list(RETRY_SCHEDULE)
    assert entry is not None
    assert (entry.state, entry.attempts, entry.last_error) == ("failed", 7, "status 503")
    outcomes = [a.outcome for a in await store.attempts(row_id)]
    assert outcomes == ["retry"] * 6 + ["failed"]


async def test_410_disables_the_endpoint(database: Database, sender: WebhookSender) -> None:
    clock = Clock()
    async with WebhookReceiver(secrets=[], answers=[410], check=False) as receiver:
        endpoints, endpoint_id, _ = await _register(database, clock, receiver.url)
        [row_id] = await _announce(database, _outreach(clock))
        await _worker(database, sender, clock).deliver_due()
        await receiver.wait_for(1)
    store = OutboxStore(database)
    entry = await store.get(row_id)
    assert entry is not None
    assert entry.state == "failed"
    assert [(a.outcome, a.status) for a in await store.attempts(row_id)] == [("gone", 410)]
    assert entry.user_id is not None
    [endpoint] = await endpoints.owned_by(entry.user_id)
    assert (endpoint.id, endpoint.disabled_at) == (endpoint_id, clock.now)
    assert await _announce(database, _outreach(clock)) == []  # disabled: nothing queued


async def test_a_receiver_that_never_answers_is_retried(
    database: Database, sender: WebhookSender
) -> None:
    clock = Clock()
    async with WebhookReceiver(secrets=[], check=False, hold=1) as silent:
        await _register(database, clock, silent.url)
        [row_id] = await _announce(database, _outreach(clock))
        await _worker(database, sender, clock, attempt_timeout=0.2).deliver_due()
        await silent.wait_for(1)
    [attempt] = await OutboxStore(database).attempts(row_id)
    assert (attempt.outcome, attempt.status) == ("retry", None)
    assert attempt.reply == "no answer within 0.2 s"


async def test_during_a_rotation_either_secret_verifies_then_only_the_new_one(
    database: Database, sender: WebhookSender
) -> None:
    clock = Clock()
    async with WebhookReceiver(secrets=[]) as receiver:
        endpoints, endpoint_id, old = await _register(database, clock, receiver.url)
        endpoint = await WebhookEndpointStore(database).get(endpoint_id)
        assert endpoint is not None
        rotated, new = await endpoints.rotate(
            endpoint.owner_id, endpoint_id, overlap=timedelta(seconds=60)
        )
        assert new != old
        assert rotated.previous_secret_until == clock.now + timedelta(seconds=60)
        receiver.secrets.extend([old, new])  # one receiver holding the old, one the new
        worker = _worker(database, sender, clock)

        await _announce(database, _outreach(clock), 1)
        await worker.deliver_due()
        clock.advance(60)
        await _announce(database, _outreach(clock), 2)
        await worker.deliver_due()
        during, after = await receiver.wait_for(2)
    assert during.verified == [True, True]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert after.verified == [False, True]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert (during.status, after.status) == (200, 200)


async def test_nothing_is_lost_across_a_restart(database_url: str) -> None:
    """Three events: one sent whose answer the crash lost (sent again: at least once, the
    same webhook-id), one claimed but never sent, one never claimed; after the restart each
    arrives, and counted by webhook-id each once."""
    clock = Clock()
    async with WebhookReceiver(secrets=[], hold=1) as receiver:
        sender = WebhookSender(timeout=5)
        supervisor = TaskSupervisor()
        async with Database(database_url) as before:
            _, _, secret = await _register(before, clock, receiver.url)
            receiver.secrets.append(secret)
            worker = _worker(before, sender, clock)
            supervisor.spawn(worker.run(), name="outbox")
            outreach = _outreach(clock, nudge=worker.nudge)
            [answer_lost] = await _announce(before, outreach, 1)  # the commit wakes the worker
            await receiver.wait_for(1)  # …and the receiver holds its answer
            await supervisor.stop()  # the process dies mid-request
            await sender.aclose()
            [claimed_only] = await _announce(before, _outreach(clock), 2)
            [never_claimed] = await _announce(before, _outreach(clock), 3)
            claimed = await OutboxStore(before).claim(clock.now, 1, LEASE)
            assert [c.id for c in claimed] == [claimed_only]

        sender = WebhookSender(timeout=5)
        async with Database(database_url) as after:
            worker = _worker(after, sender, clock)
            assert await worker.deliver_due() == 1  # the one nobody claimed
            clock.advance(LEASE.total_seconds())
            assert await worker.deliver_due() == 2  # the two whose leases ran out
            assert await worker.deliver_due() == 0
            arrivals = await receiver.wait_for(4)
            store = OutboxStore(after)
            ids = {}
            for row_id in (answer_lost, claimed_only, never_claimed):
                entry = await store.get(row_id)
                assert entry is not None
                assert (entry.state, entry.attempts) == ("delivered", 2 - (row_id == never_claimed))
                ids[row_id] = entry.message_id
        await sender.aclose()
    assert all(a.verified == [True] for a in arrivals)
    received = receiver.ids()
    assert received.count(ids[answer_lost]) == 2  # at least once: de-duplicate by webhook-id
    assert received.count(ids[claimed_only]) == received.count(ids[never_claimed]) == 1
    assert len(received) == 4


async def test_the_worker_loop_wakes_on_commit_and_not_on_rollback(
    database: Database, sender: WebhookSender
) -> None:
    clock = Clock()
    woken = asyncio.Event()
    async with WebhookReceiver(secrets=[]) as receiver:
        _, _, secret = await _register(database, clock, receiver.url)
        receiver.secrets.append(secret)
        worker = _worker(database, sender, clock)
        outreach = _outreach(clock, nudge=woken.set)

        async def rolled_back() -> None:
            async with database.writing() as session:
                await outreach.announce(session, event_type="consultation.opened", data={})
                raise LookupError("the change failed")

        with pytest.raises(LookupError):
            await rolled_back()
        assert not woken.is_set()
        assert await OutboxStore(database).next_due() is None

        supervisor = TaskSupervisor()
        outreach = _outreach(clock, nudge=worker.nudge)
        supervisor.spawn(worker.run(), name="outbox")
        try:
            await _announce(database, outreach, 1)
            await _announce(database, outreach, 2)
            arrivals = await receiver.wait_for(2)
        finally:
            await supervisor.stop()
    assert [json.loads(a.body)["data"]["consultation"] for a in arrivals] == [1, 2]


async def test_endpoint_registration_checks_its_input(database: Database) -> None:
    clock = Clock()
    endpoints = WebhookEndpoints(
        WebhookEndpointStore(database), OutboxStore(database), clock=clock, max_per_owner=2
    )
    ana, boris = await make_user(database, "ana"), await make_user(database, "boris")
    for url in [
        "http://hooks.example.org/x",  # HTTPS only unless allowed
        "https://user:pw@hooks.example.org/x",
        "https:///x",
        "ftp://hooks.example.org/x",
        "https://hooks.example.org/x#part",
        "https://hooks.example.org/a b",
        "https://hooks.example.org:99999/x",
        "https://hooks.example.org/" + "x" * 2048,
    ]:
        with pytest.raises(InvalidOutreachInput) as caught:
            await endpoints.register(ana, url)
        assert caught.value.field == "url"
    for types in [[], ["Consultation.Opened"], ["a.b"] * 1 + [f"t{n}" for n in range(32)]]:
        with pytest.raises(InvalidOutreachInput):
            await endpoints.register(ana, "https://hooks.example.org/x", event_types=types)
    with pytest.raises(InvalidOutreachInput):
        await endpoints.register(ana, "https://hooks.example.org/x", description="x" * 501)

    first, secret = await endpoints.register(ana, "https://hooks.example.org/1")
    check_secret(secret)
    assert first.event_types is None
    await endpoints.register(ana, "https://hooks.example.org/2")
    with pytest.raises(TooManyEndpoints):
        await endpoints.register(ana, "https://hooks.example.org/3")
    with pytest.raises(EndpointNotFound):
        await endpoints.rotate(boris, first.id)  # not boris's
    with pytest.raises(InvalidOutreachInput):
        await endpoints.rotate(ana, first.id, overlap=timedelta(days=8))
    disabled = await endpoints.disable(ana, first.id)
    assert disabled.disabled_reason == "disabled by its owner"
    await endpoints.register(ana, "https://hooks.example.org/3")
    with pytest.raises(TooManyEndpoints):
        await endpoints.enable(ana, first.id)
    assert [e.url[-1] for e in await endpoints.owned_by(ana)] == ["1", "2", "3"]


def test_secrets_are_in_the_standard_form() -> None:
    secrets = {new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        check_secret(secret)
        assert secret.startswith("whsec_")
    for bad in ["", "whsec_", "whsec_!!!", "sk_" + new_secret()[6:], "whsec_" + "QUJD"]:
        with pytest.raises(InvalidOutreachInput):
            check_secret(bad)
