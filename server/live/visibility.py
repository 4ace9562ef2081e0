"""Who sees a message's text: the one rule, for the REST history, search and revisions
(server/live/history.py) and for the live socket's events and replays (server/live/events.py).

A deleted (or removed) message's text is gone for everyone; a hidden one's is seen by the
room's moderators and owners only — its author too sees `null` and the reason, as everyone
else (docs/moderation.md). Whoever does not see a message's text does not find it by search,
nor see its earlier versions.
"""

from __future__ import annotations

from server.policy import Role

MODERATOR_ROLES = frozenset({Role.OWNER, Role.MODERATOR})


def moderates(role: Role | None) -> bool:
    """Whether a viewer with ``role`` sees what only moderators see: hidden text, hidden
    messages in search, moderators-only events."""
    return role in MODERATOR_ROLES


def visible_body(body: str | None, *, deleted: bool, hidden: bool, moderator: bool) -> str | None:
    """A message's text as a viewer sees it (None: not shown). ``moderator``: the viewer
    `moderates` the room."""
    if deleted or (hidden and not moderator):
        return None
    return body
