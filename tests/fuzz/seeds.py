"""Seed corpora: real, valid inputs made with the crdt package and pycrdt, to mutate from."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pycrdt

from crdt.awareness import AwarenessEntry, encode_awareness_update
from crdt.messages import (
    AuthMessage,
    AwarenessMessage,
    QueryAwareness,
    SavedNotice,
    SubscribeSaved,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    encode_message,
)
from tests.crdt.helpers import pycrdt_sample, text_updates


def _observed_updates(client_id: int) -> list[bytes]:
    """One update per transaction of an editing session touching every kind of content."""
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=client_id)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get("content", type=pycrdt.Text)
    text += "Решение 👍🏽"
    text.insert(3, "xy", {"italic": True})
    text.insert_embed(1, {"image": "a.png"})
    del text[0:2]
    items = doc.get("items", type=pycrdt.Array)
    items.extend([1, 2.5, "три", None, True, b"\x00\xff", {"k": [1, {"d": None}]}])
    items.append(pycrdt.Array([pycrdt.Text("вложен")]))
    del items[1]
    meta = doc.get("meta", type=pycrdt.Map)
    meta["big"] = 2**40
    meta["nested"] = pycrdt.Map({"inner": pycrdt.Map({"x": "y"})})
    del meta["big"]
    body = doc.get("body", type=pycrdt.XmlFragment)
    body.children.append(pycrdt.XmlElement("p", {"class": "x"}, [pycrdt.XmlText("т")]))
    return updates


@cache
def updates() -> tuple[bytes, ...]:
    """Real Yjs v1 updates: whole documents, single transactions, a diff, the empty update."""
    whole = pycrdt_sample()
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=5)
    doc.apply_update(whole)
    doc.get("content", type=pycrdt.Text).insert(0, "нов ")
    diff = doc.get_update(pycrdt.Doc(client_id=6).get_state())
    return (b"\x00\x00", whole, diff, *text_updates(), *_observed_updates(77))


@cache
def state_vectors() -> tuple[bytes, ...]:
    doc: pycrdt.Doc[Any] = pycrdt.Doc(client_id=9)
    doc.apply_update(pycrdt_sample())
    return (b"\x00", doc.get_state(), b"\x02\x0b\x05\x2a\x00")


@cache
def awareness_updates() -> tuple[bytes, ...]:
    """Awareness payloads as y-protocols clients send them (states, renewals, removals)."""
    user = {"user": {"name": "Мария", "color": "#30bced"}, "cursor": {"anchor": 3, "head": 5}}
    return (
        encode_awareness_update([AwarenessEntry(1, 0, json.dumps(user, ensure_ascii=False))]),
        encode_awareness_update([AwarenessEntry(1, 1, "{}"), AwarenessEntry(2, 4, "null")]),
        encode_awareness_update([AwarenessEntry(2**32 - 1, 7, '{"a":[1,2.5,"🗳️"]}')]),
        encode_awareness_update([]),
    )


@cache
def frames() -> tuple[bytes, ...]:
    """y-websocket frames of every message type this package knows."""
    made = [
        *(encode_message(SyncStep1(sv)) for sv in state_vectors()),
        *(encode_message(SyncStep2(u)) for u in updates()[:3]),
        *(encode_message(SyncUpdate(u)) for u in updates()),
        *(encode_message(AwarenessMessage(a)) for a in awareness_updates()),
        encode_message(AuthMessage("read-only")),
        encode_message(QueryAwareness()),
        encode_message(SubscribeSaved()),
        encode_message(SavedNotice(3, 2**40)),
    ]
    return tuple(made)


LIVE_FRAMES: tuple[str, ...] = (
    '{"type":"post","ref":"r1","body":"Здравейте 👋"}',
    '{"type":"post","body":"отговор","parent_id":1}',
    '{"type":"edit","message_id":1,"body":"поправка"}',
    '{"type":"delete","message_id":2}',
    '{"type":"react","message_id":1,"emoji":"👍","on":true}',
    '{"type":"hide","message_id":3,"reason":"спам"}',
    '{"type":"flag","message_id":3,"reason":"off topic"}',
    '{"type":"resolve_flag","flag_id":1,"outcome":"dismissed","note":"ок"}',
    '{"type":"typing","active":true}',
    '{"type":"mute","user":"ivan","seconds":300,"reason":"шум"}',
    '{"type":"agenda_add","title":"Точка 1","position":0}',
    '{"type":"agenda_current","item_id":null}',
    '{"type":"give_floor","user":"maria","seconds":120}',
)

# Bodies each REST endpoint accepts (tests/fuzz/rest.py), to mutate and to edit field by field.
REST_BODIES: dict[str, tuple[dict[str, Any], ...]] = {
    "login": ({"name": "owner", "password": "correct horse battery staple"},),
    "room-create": (
        {"slug": "zasedanie-1", "title": "Заседание", "visibility": "public"},
        {"slug": "private-room", "title": "Room", "visibility": "private", "description": "…"},
    ),
    "member-put": ({"role": "participant"}, {"role": "observer"}),
    "comment-post": (
        {"body": "коментар", "start": 0, "end": 6, "root": "content"},
        {"body": "👍", "start": 8, "end": 10},
    ),
    "proposal-create": ({"title": "Предложение"}, {"title": "P", "document": "proposal-a"}),
    "poll-create": (
        {"title": "Анкета", "method": "approval", "options": ["а", "б", "в"]},
        {"title": "Да/Не", "method": "yes_no_abstain", "closes_in": 3600, "min_ballots": 2},
        {"title": "Ranked", "method": "ranked", "options": ["a", "b", "c"], "secret": True},
        {"title": "STV", "method": "stv", "options": ["a", "b", "c"], "rules": {"seats": 2}},
        {"title": "Score", "method": "score", "options": ["a", "b"], "visibility": "always"},
    ),
    "ballot-cast": ({"choice": ["a", "b"]}, {"choice": ["c"]}),
}
