"""Where a document update came from: the `origin` column of the update log.

A `StrEnum`, so what is stored is the same text it always was. The log also keeps labels
it did not make itself (an imported history's), so storage takes any short string; the
server passes only these."""

from __future__ import annotations

import enum


class Origin(enum.StrEnum):
    CONNECTION = "connection"  # a client's update over /yjs/
    SERVER = "server"  # made by the server itself
    FORK = "fork"  # a fork's first update: its base's state when it was forked
    MERGE = "merge"  # an adopted amendment merged into its base
    BUS = "bus"  # accepted by another node that died before storing it; stored here instead
