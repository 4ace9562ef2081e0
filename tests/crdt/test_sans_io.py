"""crdt/ is sans-I/O: it imports nothing that does I/O or belongs to other layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import crdt

FORBIDDEN = {
    "asyncio",
    "socket",
    "selectors",
    "sqlalchemy",
    "redis",
    "starlette",
    "websockets",
    "uvicorn",
    "server",
    "storage",
    "client",
}
PACKAGE = Path(crdt.__file__).parent


def imported_top_level_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_forbidden_imports_in_source() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert files
    for path in files:
        assert not imported_top_level_modules(path) & FORBIDDEN, path


def test_importing_crdt_loads_no_io_modules() -> None:
    # The bindings themselves may pull in I/O modules (pycrdt imports anyio); our code not.
    code = (
        "import sys, crdt, crdt.session, crdt.awareness, crdt.update_info;"
        f"print(sorted(m for m in {sorted(FORBIDDEN)!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
