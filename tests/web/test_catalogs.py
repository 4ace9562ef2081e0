"""Every string of the web app is in a catalog, in Bulgarian and in English: a key missing in
either language, used in the code but absent, or left unused, fails here; so does a message
whose placeholders differ between the languages."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from tests.support.server import ROOT
from tests.support.yjs_node import require_node

SOURCE = ROOT / "client" / "web" / "src"
CATALOGS = sorted(p for p in (SOURCE / "i18n").glob("*.js") if p.name != "index.js")
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([\w.-]+)["']""")
TEMPLATE_KEY = re.compile(r"""\bt\(\s*`([\w.-]*)\$\{""")
QUOTED = re.compile(r"""["'`]([a-zA-Z][\w-]*(?:\.[\w-]+)+)["'`]""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict[str, Any]]:
    node = require_node()
    imports = ";".join(
        f"import {{ catalog as c{i} }} from {json.dumps(path.as_uri())}"
        for i, path in enumerate(CATALOGS)
    )
    merge = ",".join(f"c{i}" for i in range(len(CATALOGS)))
    script = (
        f"{imports};const all=[{merge}];const out={{}};"
        "for (const l of ['bg','en']) out[l]=Object.assign({}, ...all.map(c=>c[l]));"
        "for (const [i,c] of all.entries()) out['count'+i]=[Object.keys(c.bg).length];"
        "console.log(JSON.stringify(out))"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    loaded: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return loaded


def code() -> str:
    files = [p for p in SOURCE.rglob("*.js") if "i18n" not in p.parts]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def placeholders(message: str | dict[str, str]) -> set[str]:
    texts = message.values() if isinstance(message, dict) else [message]
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


def test_both_languages_have_the_same_keys(catalogs: dict[str, dict[str, Any]]) -> None:
    bg, en = set(catalogs["bg"]), set(catalogs["en"])
    assert not bg - en, f"missing in English: {sorted(bg - en)}"
    assert not en - bg, f"missing in Bulgarian: {sorted(en - bg)}"
    assert len(bg) > 50


def test_no_key_is_defined_twice(catalogs: dict[str, dict[str, Any]]) -> None:
    counted: list[Any] = [v for k, v in catalogs.items() if k.startswith("count")]
    assert sum(int(sizes[0]) for sizes in counted) == len(catalogs["bg"]), "a key is twice"


def test_messages_use_the_same_placeholders_and_plural_forms(
    catalogs: dict[str, dict[str, Any]],
) -> None:
    for key, message in catalogs["bg"].items():
        other = catalogs["en"][key]
        assert placeholders(message) == placeholders(other), key
        assert isinstance(message, dict) == isinstance(other, dict), key
        if isinstance(message, dict):
            assert {"one", "other"} <= set(message), key
            assert {"one", "other"} <= set(other), key


def test_every_key_the_code_asks_for_exists(catalogs: dict[str, dict[str, Any]]) -> None:
    asked = set(LITERAL_KEY.findall(code()))
    missing = sorted(asked - set(catalogs["bg"]))
    assert not missing, f"t() keys with no message: {missing}"
    for prefix in TEMPLATE_KEY.findall(code()):
        assert any(key.startswith(prefix) for key in catalogs["bg"]), f"no key {prefix}…"


def test_every_message_is_used(catalogs: dict[str, dict[str, Any]]) -> None:
    text = code()
    quoted = set(QUOTED.findall(text))
    prefixes = tuple(TEMPLATE_KEY.findall(text))
    unused = sorted(k for k in catalogs["bg"] if k not in quoted and not k.startswith(prefixes))
    assert not unused, f"messages no code uses: {unused}"


def test_no_user_visible_text_is_written_in_the_templates() -> None:
    """Cyrillic in the code (outside catalogs) means a string that escaped translation."""
    for path in SOURCE.rglob("*.js"):
        if "i18n" in path.parts or path.name == "slug.js":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("//", "/*", "*")):
                continue
            assert not re.search("[а-яА-Я]", line), f"{path.name}:{number}: {stripped}"
