"""Kept admission answers across replicas: a change made through one replica empties what
the others kept at once, long before their own access review (server/cached_reads.py)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from crdt.messages import SyncStep1
from server.closecodes import CloseCode
from tests.nodes.replicas import replicas, seed_room
from tests.support.server import ServerProcess
from tests.support.waiting import eventually
from tests.support.wire import RawPeer

pytestmark = pytest.mark.postgres

# a review once a minute and answers kept as long: only the other replica's news can explain
# a refusal within seconds
SLOW_REVIEW = {"VECHE_ACCESS_REVIEW": "60", "VECHE_OPEN_DOCUMENTS": "false"}


async def opening(node: ServerProcess, token: str | None) -> str:
    """Open document "d" on ``node``: "open", or the close code the server sent."""
    url = f"{node.yjs}/{quote('d')}?{urlencode({'token': token or ''})}"
    peer = await RawPeer.open(url)
    try:
        try:
            first = await peer.recv_message()
        except ConnectionClosed as closed:
            return f"closed {closed.rcvd.code if closed.rcvd else None}"
        assert isinstance(first, SyncStep1)
        return "open"
    finally:
        await peer.close()


async def test_a_token_revoked_through_one_replica_is_refused_by_the_other_at_once(
    postgres_url: str,
) -> None:
    people, _ = await seed_room(postgres_url, "room", documents=("d",))
    token = people.token("participant")
    assert token is not None
    async with replicas(postgres_url, 2, env=SLOW_REVIEW) as (first, second):
        assert await opening(second, token) == "open"  # the second replica keeps the answer
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=first.http, headers=auth, timeout=30) as http:
            [listed] = (await http.get("/api/v1/tokens")).json()["tokens"]
            assert (await http.delete(f"/api/v1/tokens/{listed['id']}")).status_code == 204
        refused = f"closed {CloseCode.UNAUTHENTICATED.value}"

        async def refused_on_second() -> bool:
            return await opening(second, token) == refused

        await eventually(refused_on_second, timeout=5)
