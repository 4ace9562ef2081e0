"""The crowd benchmark's summary: medians over runs, the issue's targets, py-spy profiles.

Used by bench/crowd.py; pure functions of its rows (and of py-spy's raw output files).
"""

from __future__ import annotations

import hashlib
import os
import platform
import statistics
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DASH = "\u2013"
# the leaf frame of aiosqlite's thread while it waits for the next call (aiosqlite 0.22)
AIOSQLITE_WAIT = "_connection_worker_thread (aiosqlite/core.py:59)"
AIOSQLITE_CALL = "_connection_worker_thread (aiosqlite/core.py:63)"  # in the call it was given

# (name, path into a run's row); the path's last part may be a function of the row
METRICS: dict[str, list[str]] = {
    "voters": [
        "voters.connect.connect_seconds",
        "voters.connect.server_cpu_s",
        "voters.latency.p50_ms",
        "voters.latency.p99_ms",
        "voters.latency.max_ms",
        "voters.errors",
        "voters.cast_seconds",
        "voters.tally.after_last_answer.p50_ms",
        "voters.tally.after_last_answer.p99_ms",
        "voters.tally.after_last_answer.max_ms",
        "voters.tally.never_within_wait",
        "voters.tally.saw_accepted",
        "voters.tally.accepted_after_last_answer.p99_ms",
        "voters.tally.pushes_per_member",
        "voters.server_cpu_ms_per_ballot",
        "voters.server_cpu_cast_and_tally_s",
        "voters.server_runqueue_wait_cast_s",
        "voters.loadgen_cpu_pct",
        "read_back.poll_ballots",
        "read_back.record_turnout",
        "read_back.record_distinct_voters",
        "floor.latency.p50_ms",
        "floor.latency.p99_ms",
        "floor.latency.max_ms",
        "floor.errors",
        "floor.server_cpu_ms_per_ballot",
        "floor.cast_seconds",
        "floor.server_runqueue_wait_cast_s",
        "floor.read_back.voters",
    ],
    "messages": [
        "messages.latency.p50_ms",
        "messages.latency.p95_ms",
        "messages.latency.p99_ms",
        "messages.latency.max_ms",
        "messages.lost",
        "messages.delivered_within_drain",
        "messages.all_in_seconds",
        "messages.ack_latency.p50_ms",
        "messages.ack_latency.p99_ms",
        "messages.duplicates",
        "messages.server_cpu_pct",
        "messages.server_cpu_ms_per_message",
        "messages.server_runqueue_wait_pct",
        "messages.loadgen_cpu_pct",
        "yjs_fanout.p50_ms",
        "yjs_fanout.p99_ms",
        "yjs_fanout.max_ms",
        "yjs_fanout.lost",
        "yjs_fanout.server_cpu_pct",
        "yjs_fanout.loadgen_cpu_pct",
    ],
    "resume": [
        "resume.connect_to_all_ms",
        "resume.open_to_all_ms",
        "resume.open_to_welcome_ms",
        "resume.missing",
        "resume.duplicates",
    ],
}


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Node {node.stdout.strip()}, Python {platform.python_version()}"
    )


def checkout() -> dict[str, Any]:
    """What was measured: the commit, and the uncommitted changes to the server (others may
    be working in this tree meanwhile), by name and by the hash of their diff."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False)
        return done.stdout.decode(errors="replace")

    diff = git("diff", "HEAD", "--", "server", "storage")
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "server_changes": git("diff", "HEAD", "--name-only", "--", "server", "storage").split(),
        "server_diff_sha256": hashlib.sha256(diff.encode()).hexdigest()[:16] if diff else None,
    }


def _get(row: dict[str, Any], path: str) -> list[float]:
    """The values at ``path`` (resume: one per round)."""
    head, _, rest = path.partition(".")
    if head == "resume":
        rounds = row.get("resume", {}).get("rounds", [])
        return [r[rest] for r in rounds if isinstance(r.get(rest), int | float)]
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return []
        value = value[part]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def _stat(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize(rows: list[dict[str, Any]], people: int) -> dict[str, Any]:
    """Per database: each metric's median and range over the runs, and the targets."""
    out: dict[str, Any] = {}
    for kind in sorted({r["database"] for r in rows}):
        mine = [r for r in rows if r["database"] == kind and "error" not in r]
        figures = {
            path: stat
            for paths in METRICS.values()
            for path in paths
            if (stat := _stat([v for r in mine for v in _get(r, path)])) is not None
        }
        out[kind] = {
            "runs": len(mine),
            "errors": [e for r in rows if r["database"] == kind for e in errors(r)],
            "figures": figures,
            "targets": targets(mine, figures, people),
        }
    return out


def _counted_once(row: dict[str, Any], people: int) -> bool:
    back = row.get("read_back", {})
    voters = row.get("voters", {})
    return bool(
        voters.get("errors") == 0
        and back.get("poll_ballots") == people
        and back.get("record_turnout") == people
        and back.get("record_voters") == back.get("record_distinct_voters") == people
        and back.get("record_ballots") == people
    )


def targets(rows: list[dict[str, Any]], figures: dict[str, Any], people: int) -> dict[str, Any]:
    """The issue's targets, judged on the median over runs (the worst run beside it)."""

    def judge(path: str, limit: float) -> dict[str, Any] | None:
        stat = figures.get(path)
        if stat is None:
            return None
        median, worst = round(stat["median"], 2), round(stat["max"], 2)
        return {"median": median, "worst": worst, "limit": limit, "met": median <= limit}

    result: dict[str, Any] = {}
    if any("voters" in r for r in rows):
        # the 2 s (the casts are sent over 2 s), plus 0.25 s for the last one's answer
        in_time = [r.get("voters", {}).get("cast_seconds", 99) <= 2.25 for r in rows]
        counted = [_counted_once(r, people) for r in rows]
        result["ballots_within_2s_counted_once"] = {
            "runs_counted_exactly": sum(counted),
            "runs_answered_within_2.25s": sum(in_time),
            "runs": len(rows),
            "met": bool(rows) and all(counted) and all(in_time),
        }
        tally = judge("voters.tally.after_last_answer.p99_ms", 200)
        if tally is not None:
            never = figures.get("voters.tally.never_within_wait", {"max": 0})["max"]
            tally["met"] = tally["met"] and never == 0
            result["tally_p99_200ms"] = tally
    if (message := judge("messages.latency.p99_ms", 30)) is not None:
        message["met"] = message["met"] and figures["messages.lost"]["max"] == 0
        result["message_p99_30ms"] = message
    if (resume := judge("resume.connect_to_all_ms", 100)) is not None:
        resume["met"] = resume["met"] and figures["resume.missing"]["max"] == 0
        result["resume_100ms"] = resume
    return result


def _fmt(stat: dict[str, float] | None, digits: int = 1) -> str:
    if stat is None:
        return "—"

    def f(v: float) -> str:
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.{digits}f}"

    if stat["min"] == stat["max"]:
        return f(stat["median"])
    return f"{f(stat['median'])} ({f(stat['min'])}{DASH}{f(stat['max'])})"


PARTS = ("voters", "floor", "messages", "yjs_fanout", "resume")


def errors(row: dict[str, Any]) -> list[str]:
    """What failed in a run: the run itself, or one of its parts."""
    found = [str(row["error"])] if "error" in row else []
    for part in PARTS:
        value = row.get(part)
        if isinstance(value, dict) and "error" in value:
            found.append(f"{part}: {str(value['error'])[:500]}")
    return found


def one_line(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"  error: {row['error']}"
    parts = []
    for paths in METRICS.values():
        for path in paths[:4]:
            values = _get(row, path)
            if values:
                parts.append(f"{path}={statistics.median(values):.4g}")
    parts += [f"ERROR {e[:300]}" for e in errors(row)]
    return "  " + " ".join(parts)


def render(summary: dict[str, Any], meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    people = meta["plan"]["people"]
    lines = [
        f"crowd: {people} people, {meta['plan']['runs']} run(s) per database, median "
        f"(min{DASH}max); {meta['date']}; {meta['machine']}; commit "
        f"{meta['checkout']['commit']}, uncommitted server changes: "
        f"{', '.join(meta['checkout']['server_changes']) or 'none'}",
        "load average (1/5/15 min) before each run: "
        + "; ".join(
            f"{r['database']}#{r['run']}: " + "/".join(f"{x:.2f}" for x in r["load_before"])
            for r in rows
            if "load_before" in r
        ),
    ]
    for kind, entry in summary.items():
        lines += ["", f"== {kind} ({entry['runs']} runs)"]
        lines += [f"  ERROR: {e}" for e in entry["errors"]]
        for group, paths in METRICS.items():
            shown = [(p, entry["figures"].get(p)) for p in paths if p in entry["figures"]]
            if shown:
                lines.append(f"  {group}:")
                lines += [f"    {p:44s} {_fmt(s, 2)}" for p, s in shown]
        lines.append("  targets:")
        for name, verdict in entry["targets"].items():
            word = "MET" if verdict["met"] else "MISSED"
            detail = ", ".join(f"{k}={v}" for k, v in verdict.items() if k != "met")
            lines.append(f"    {name:34s} {word:7s} {detail}")
    for row in rows:
        for name, profile in row.get("profiles", {}).items():
            lines += ["", f"== profile {row['database']}#{row['run']} {name}: {profile['file']}"]
            top = profile["top"]
            lines.append(
                f"  {top['samples']} busy samples ({top['waiting']} of aiosqlite's thread "
                "waiting left out); self time, % of busy samples (Runner.run: uvloop's C code):"
            )
            lines += [f"    {pct:5.1f}%  {frame}" for frame, pct in top["self"][:12]]
            lines.append("  inclusive (Veche's own code), % of samples:")
            lines += [f"    {pct:5.1f}%  {frame}" for frame, pct in top["own"][:15]]
    return "\n".join(lines)


def _function(frame: str) -> str:
    """``name (path:line)`` -> ``name (short path)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for cut in (str(ROOT) + "/", "site-packages/", "lib/python3.11/"):
        if cut in path:
            path = path.split(cut, 1)[1]
    return f"{name} ({path})"


def profile_summary(path: Path) -> dict[str, Any]:
    """py-spy's raw (folded) output: the functions with the most samples on top of the stack
    (self), and Veche's functions by inclusive samples (on the stack at all)."""
    own: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = waiting = 0
    if not path.exists():
        return {"samples": 0, "waiting": 0, "self": [], "own": []}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        if stack.endswith(AIOSQLITE_WAIT):
            waiting += n  # py-spy counts this thread's wait for work as busy
            continue
        total += n
        if stack.endswith(AIOSQLITE_CALL):
            stack += ";(SQLite's C code, on aiosqlite's thread) (sqlite3:0)"
        frames = [_function(f) for f in stack.split(";") if " (" in f]
        if frames:
            leaf[frames[-1]] += n
        for frame in set(frames):
            if frame.split(" (", 1)[1].startswith(("server/", "storage/")):
                own[frame] += n

    def top(counter: Counter[str], k: int) -> list[tuple[str, float]]:
        return [(f, round(c / total * 100, 1)) for f, c in counter.most_common(k)] if total else []

    return {"samples": total, "waiting": waiting, "self": top(leaf, 25), "own": top(own, 40)}
