"""The long fuzz run (`scripts/fuzz`): every target for many inputs, in worker processes.

    python -m tests.fuzz.run [--minutes M] [--scale S] [--allow-known] [--only NAME...]
    python -m tests.fuzz.run --replay NAME 'PYTHON LITERAL'

The parent starts one worker per group of targets (two groups: two cores), prints their
progress and watches them: a worker whose current input has not changed for `HANG_SECONDS`
is stopped and its input printed (a hang the in-process deadline cannot interrupt, e.g. inside
the Rust binding). Each worker runs its targets round-robin, in chunks of fresh random
inputs, until each has run its share (`Target.long_run` x scale) or the time is up.
Exit status: 0 when nothing was found, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from hypothesis.errors import DeadlineExceeded, Flaky

from tests.fuzz.catalog import Target, crdt_targets, live_targets
from tests.fuzz.known import DEFECTS
from tests.fuzz.rest import harness_in_temporary_directory, rest_targets
from tests.fuzz.runner import LONG, Tally, run

HANG_SECONDS = 30.0
CHUNK = 5_000  # inputs per Hypothesis run: fresh seeds, bounded memory
REST_CHUNK = 500
GROUPS = ("crdt", "edge")
FINDINGS = Path(tempfile.gettempdir()) / "veche-fuzz-findings"  # inputs too long to print


def _targets(group: str, stack: ExitStack) -> list[Target]:
    if group == "crdt":
        return crdt_targets()
    return [*live_targets(), *rest_targets(stack.enter_context(harness_in_temporary_directory()))]


def replay(name: str, literal: str) -> None:
    """Run target ``name`` once on the input written as a Python literal (a reproducer)."""
    with ExitStack() as stack:
        [target] = [t for g in GROUPS for t in _targets(g, stack) if t.name == name]
        if literal.startswith("@"):
            literal = Path(literal[1:]).read_text(encoding="utf-8")
        target.check(ast.literal_eval(literal))
    print(f"{name}: no failure on this input")


class _Recorder:
    """Keeps the input being run in a file, so that the parent can print it after a hang."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.target = ""

    def __call__(self, value: Any) -> None:
        data = f"{self.target}\n{value!r}".encode("utf-8", "backslashreplace")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)


def _report(target: Target, tally: Tally) -> None:
    print(f"\nfuzz[{target.name}] FAILURE after {tally.inputs} inputs:", flush=True)
    traceback.print_exc()
    if tally.failure is None:  # raised by Hypothesis around the target (a deadline)
        print("reproduce with the input of 'Falsifying example' above\n", flush=True)
        return
    print(
        f"reproduce with: scripts/fuzz --replay {target.name} "
        f"{_quote(repr(tally.failure), target.name)}\n",
        flush=True,
    )


def _only_timing(exc: Flaky) -> bool:
    """Whether Hypothesis' Flaky error is only an input that was slow once (over the deadline
    on its first run, not when replayed)."""
    inner = getattr(exc, "exceptions", ())
    return bool(inner) and all(isinstance(e, DeadlineExceeded) for e in inner)


def _quote(text: str, name: str = "input") -> str:
    """``text`` quoted for a shell, or ``@file`` holding it when it is too long to print."""
    if len(text) > 2_000:
        FINDINGS.mkdir(exist_ok=True, mode=0o700)
        path = FINDINGS / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.txt"
        path.write_text(text, encoding="utf-8", errors="backslashreplace")
        return f"@{path}"
    return "'" + text.replace("'", "'\\''") + "'"


def worker(
    group: str, minutes: float, scale: float, names: Sequence[str], allow_known: bool, record: Path
) -> int:
    with ExitStack() as stack:
        return _work(_targets(group, stack), group, minutes, scale, names, allow_known, record)


def _work(
    found: list[Target],
    group: str,
    minutes: float,
    scale: float,
    names: Sequence[str],
    allow_known: bool,
    record: Path,
) -> int:
    chosen = [t for t in found if not names or t.name in names]
    tallies = {t.name: Tally() for t in chosen}
    goals = {t.name: max(1, int(t.long_run * scale)) for t in chosen}
    recorder = _Recorder(record)
    deadline = time.monotonic() + minutes * 60
    failed: set[str] = set()
    first = set(tallies)
    while time.monotonic() < deadline:
        active = [
            t for t in chosen if t.name not in failed and tallies[t.name].inputs < goals[t.name]
        ]
        if not active:
            break
        for target in active:
            tally = tallies[target.name]
            chunk = REST_CHUNK if target.name.startswith("rest") else CHUNK
            recorder.target = target.name
            try:
                run(
                    target,
                    LONG,
                    chunk,
                    tally,
                    with_seeds=target.name in first,
                    before_each=recorder,
                    batch=target.batch,
                )
            except Flaky as exc:
                if not _only_timing(exc):
                    failed.add(target.name)
                    _report(target, tally)
                else:  # slow once, fast on replay: the machine was busy, not the input
                    tally.slow += 1
                    print(f"fuzz[{target.name}] an input over the deadline once, not on replay")
            except Exception:
                failed.add(target.name)
                _report(target, tally)
            first.discard(target.name)
            rate = tally.inputs / tally.seconds if tally.seconds else 0.0
            known = "".join(f", {n} {c}" for n, c in tally.known.items())
            print(
                f"fuzz[{target.name}] {tally.inputs} inputs in {tally.seconds:.0f} s "
                f"({rate:.0f}/s){' - known defects: ' + known[2:] if known else ''}"
                f"{f' - {tally.slow} slow once' if tally.slow else ''}",
                flush=True,
            )
            if time.monotonic() >= deadline:
                break
    total = sum(t.inputs for t in tallies.values())
    print(
        f"fuzz group {group}: {total} inputs; "
        + ", ".join(f"{n} {t.inputs}" for n, t in tallies.items()),
        flush=True,
    )
    known_hit = _report_known(tallies)
    return 1 if failed or (known_hit and not allow_known) else 0


def _report_known(tallies: dict[str, Tally]) -> bool:
    """Print the known defects hit, with one input each; whether there was any."""
    by_name = {d.name: d for d in DEFECTS}
    hit = False
    for name, tally in tallies.items():
        for defect, count in tally.known.items():
            hit = True
            value = _quote(repr(tally.examples[defect]), name)
            print(
                f"fuzz[{name}] KNOWN DEFECT {defect} ({by_name[defect].reason}): {count} "
                f"inputs, e.g. scripts/fuzz --replay {name} {value}",
                flush=True,
            )
    return hit


def parent(args: argparse.Namespace) -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="veche-fuzz-"))
    children: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for group in GROUPS:
        record = workdir / f"{group}.input"
        command = [
            sys.executable,
            "-m",
            "tests.fuzz.run",
            "--worker",
            group,
            "--record",
            str(record),
            "--minutes",
            str(args.minutes),
            "--scale",
            str(args.scale),
            *(["--allow-known"] if args.allow_known else []),
            *(["--only", *args.only] if args.only else []),
        ]
        children[group] = (subprocess.Popen(command), record)
    status = 0
    while children:
        time.sleep(1.0)
        for group, (child, record) in list(children.items()):
            code = child.poll()
            if code is not None:
                status |= code != 0
                del children[group]
            elif record.exists() and time.time() - record.stat().st_mtime > HANG_SECONDS:
                child.kill()
                child.wait()
                name, _, value = record.read_text(errors="replace").partition("\n")
                print(
                    f"\nfuzz[{name}] HANG: one input ran for over {HANG_SECONDS:.0f} s; "
                    f"reproduce with: scripts/fuzz --replay {name} {_quote(value, name)}\n",
                    flush=True,
                )
                status = 1
                del children[group]
    print(
        f"fuzz: done in {time.monotonic() - started:.0f} s, "
        f"{'FAILURES (see above)' if status else 'nothing found'}",
        flush=True,
    )
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=13.0, help="time limit (default 13)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every target's share")
    parser.add_argument(
        "--allow-known",
        action="store_true",
        help="exit 0 when the only findings are the open defects of tests/fuzz/known.py",
    )
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="these targets")
    parser.add_argument("--list", action="store_true", help="list the targets and their shares")
    parser.add_argument("--replay", nargs=2, metavar=("NAME", "INPUT"), help="run one input")
    parser.add_argument("--worker", choices=GROUPS, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.list:
        for t in [*crdt_targets(), *live_targets()]:
            print(f"{t.name:16} {t.long_run:>8}")
        print("rest             20000  (see tests/fuzz/rest.py)")
        return 0
    if args.replay:
        replay(*args.replay)
        return 0
    if args.worker:
        return worker(
            args.worker, args.minutes, args.scale, args.only, args.allow_known, args.record
        )
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
