"""The running tally of open votes, pushed to their live rooms.

Ballots arriving within 50 ms share one push; a secret vote's pushes are batched
(server/live/tallies.py, docs/secret-ballots.md), and its REST answer shows the last push.
Each viewer gets the tally only as the vote's visibility allows them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from server.decisions.context import DecisionsContext
from server.decisions.rules import VoteRules
from server.live.connection import framed
from server.live.room import NODE_ONLY
from server.live.tallies import BallotBatches, PushedTallies, PushedTally
from storage.polls import StoredPoll

PUSH_DELAY = 0.05
BALLOT_NEWS = NODE_ONLY + "ballot"  # between nodes: a ballot of this vote was stored
Vote = tuple[int, int]  # (room id, poll id)
Spawn = Callable[[Coroutine[Any, Any, None]], object]


def count(poll: StoredPoll, choices: list[Any]) -> dict[str, Any]:
    """The tally of ``choices`` under the poll's method and rules."""
    spec = VoteRules.stored(poll.rules).spec(poll.method, poll.options)
    return spec.count(choices, poll.electorate_size).to_json()


class LiveTally:
    def __init__(
        self, ctx: DecisionsContext, spawn: Spawn, secret_batches: BallotBatches | None = None
    ) -> None:
        self._ctx, self._spawn = ctx, spawn
        self._dirty: set[Vote] = set()
        self._push: asyncio.TimerHandle | None = None
        self._secret_batches = secret_batches or BallotBatches()
        self.pushed = PushedTallies()
        self._secret_timers: dict[Vote, asyncio.TimerHandle] = {}

    def stop(self) -> None:
        if self._push is not None:
            self._push.cancel()
        for timer in self._secret_timers.values():
            timer.cancel()
        self._secret_timers.clear()

    def cast(self, room_id: int, poll_id: int, *, secret: bool) -> None:
        """A ballot was stored here: push the tally here, and tell the other nodes that have
        the room open to push theirs (their connections are theirs to tell)."""
        self.changed(room_id, poll_id, secret=secret)
        message = {"type": BALLOT_NEWS, "poll_id": poll_id, "secret": secret}
        self._ctx.live_rooms.tell_nodes(room_id, message)

    def heard(self, room_id: int, message: dict[str, Any]) -> None:
        """Another node's news: a ballot stored there (committed before it was told)."""
        if message.get("type") == BALLOT_NEWS and isinstance(message.get("poll_id"), int):
            self.changed(room_id, message["poll_id"], secret=bool(message.get("secret")))

    def changed(self, room_id: int, poll_id: int, *, secret: bool = False) -> None:
        """Push the tally to the room soon; ballots arriving meanwhile share one push. A
        secret vote's waits for a batch of ballots (docs/secret-ballots.md)."""
        vote = (room_id, poll_id)
        if secret:
            wait = self._secret_batches.ballot(vote)
            if wait is None or vote in self._secret_timers:
                return  # held: too few ballots yet, or a push is already due
            if wait > 0:
                loop = asyncio.get_running_loop()
                self._secret_timers[vote] = loop.call_later(wait, self._release_secret, vote)
                return
            self._release_secret(vote)
            return
        self._dirty.add(vote)
        if self._push is None:
            self._push = asyncio.get_running_loop().call_later(PUSH_DELAY, self._spawn_push)

    def forget(self, vote: Vote) -> None:
        timer = self._secret_timers.pop(vote, None)
        if timer is not None:
            timer.cancel()
        self._secret_batches.forget(vote)
        self.pushed.forget(vote)

    def _release_secret(self, vote: Vote) -> None:
        # counted as pushed from now (no second release before the push), and again when the
        # ballots are read (_push_tallies): the ballots cast in between are in this push, so
        # they must not count towards the next batch as well
        self._secret_timers.pop(vote, None)
        self._secret_batches.pushed(vote)
        self.changed(*vote)

    def _spawn_push(self) -> None:
        self._push = None
        dirty, self._dirty = self._dirty, set()
        self._spawn(self._push_tallies(dirty))

    async def _push_tallies(self, dirty: set[Vote]) -> None:
        polls = self._ctx.polls
        for room_id, poll_id in dirty:
            live_room = self._ctx.live_rooms.get(room_id)
            poll = await polls.get(room_id, poll_id)
            if poll is None or poll.state != "open":
                self.pushed.forget((room_id, poll_id))
                continue
            if live_room is None and not poll.secret:
                continue  # a secret vote's snapshot is kept for the REST answer all the same
            choices, cast = await polls.ballots(poll_id)
            if poll.secret:
                self._secret_batches.pushed((room_id, poll_id))
            rules = VoteRules.stored(poll.rules)
            message: dict[str, Any] = {"type": "poll.tally", "poll_id": poll_id, "ballots": cast}
            shown = cast >= rules.min_ballots and rules.visibility != "after_close"
            voted = (
                set(await polls.voters_who_voted(poll_id))
                if rules.visibility == "after_vote"
                else set()
            )
            tally = count(poll, choices) if shown else None
            if poll.secret:
                self.pushed.record((room_id, poll_id), PushedTally(cast, tally))
            if live_room is None:
                continue
            # two frames at most, each made once for every connection that is shown it
            counted = framed({**message, "tally": tally}) if tally is not None else None
            plain = framed(message)
            for connection in list(live_room.connections.values()):
                user = connection.user
                sees = counted is not None and (
                    rules.visibility == "always" or (user is not None and user.id in voted)
                )
                connection.send_frame(counted if sees and counted is not None else plain)
