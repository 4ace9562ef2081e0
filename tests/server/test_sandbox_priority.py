"""Sandbox workers run below the server's priority, replacements included (server/documents/
sandbox.py): a costly update's trial must not slow the server's answers to everyone else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pycrdt import Doc, Text

from server.documents.sandbox import WORKER_NICENESS, CrdtSandbox, TooCostly
from tests.server.test_costly_documents import prepends


def workers_of_this_process() -> dict[int, int]:
    """pid -> niceness of this process's children running the sandbox worker."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile
        if int(stat[1]) == os.getpid() and b"server.documents.sandbox_worker" in command:
            found[int(entry.name)] = os.getpriority(os.PRIO_PROCESS, int(entry.name))
    return found


async def test_workers_and_their_replacements_run_below_the_servers_priority() -> None:
    below = os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS
    sandbox = CrdtSandbox("pycrdt", workers=2)
    await sandbox.start()
    try:
        first = workers_of_this_process()
        assert list(first.values()) == [below, below]
        doc: Doc[Text] = Doc(client_id=9)
        doc.get("content", type=Text).insert(0, "x" * 4000)
        with pytest.raises(TooCostly):  # past its deadline: the worker is killed and replaced
            await sandbox.trial(doc.get_update(), prepends(2, 8000), deadline=0.01)
        now = workers_of_this_process()
        assert len(now) == 2
        assert set(now) != set(first)
        assert list(now.values()) == [below, below]
    finally:
        await sandbox.stop()
