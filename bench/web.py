"""The browser app in headless Chromium (Debian's), against a real `veche serve` on loopback:

    .venv/bin/python bench/web.py [--runs 5] [--keystrokes 60] [--out bench/results/web.json]

1. **Transfer**: the bytes of JavaScript and CSS the room page loads on a first visit, as sent
   (gzip), from Chromium's own count of each response's encoded body.
2. **Time to an editable proposal**: from the start of navigation to
   `/rooms/{slug}/proposals/{id}` (signed in, empty cache, a new browser context each run) until
   the editor accepts typing and shows the proposal's text; the median of ``--runs``.
3. **Keystroke to display**: one page types ``--keystrokes`` characters, one at a time with a
   pause between them; another page (another context, another socket) observes the editor. For
   each keystroke, the time from its `beforeinput` event in the first page to the moment the
   second page's text has it (a MutationObserver), both read from
   `performance.timeOrigin + now()` on the same machine clock; p50 and p95.

Nothing here asserts a figure: docs/benchmarks.md reports them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.web import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    WebApp,
    run_async,
)
from tests.support.yjs_node import YjsNodeClient  # noqa: E402

TEXT = "# Наредба за обществения ред\n\n" + "Член 1. Текст на предложението.\n" * 40


def sign_in(browser: Browser, app: WebApp, name: str) -> Page:
    context = browser.new_context(base_url=app.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill("correct horse battery staple")
    page.locator("button[type=submit]").click()
    page.get_by_test_id("who").wait_for()
    return page


def prepare(app: WebApp) -> tuple[str, int, str]:
    owner = app.create_user("bench-owner", display_name="Собственик")
    app.create_user("bench-peer", display_name="Участник")
    api = app.api(owner)
    slug = api.room("Бенчмарк", slug="bench")["slug"]
    api.member(slug, "bench-peer", "participant")
    proposal = api.ok("POST", f"/rooms/{slug}/proposals", {"title": "Наредба"})
    document = proposal["document"]

    async def write() -> None:
        client = await YjsNodeClient.start(app.yjs, document, api.token)
        try:
            await client.wait_synced()
            await client.request("type", text=TEXT, delayMs=0, at="end")
            # a second client sees the whole text: the server has it
            check = await YjsNodeClient.start(app.yjs, document, api.token)
            try:
                await check.request("waitText", length=len(TEXT), timeoutMs=20_000)
            finally:
                await check.close()
        finally:
            await client.close()

    run_async(write())
    return slug, proposal["id"], document


def transfer(browser: Browser, app: WebApp, path: str) -> dict[str, int]:
    page = sign_in(browser, app, "bench-owner")
    sizes: dict[str, int] = {"js": 0, "css": 0}
    fresh = browser.new_context(base_url=app.url, storage_state=page.context.storage_state())
    visitor = fresh.new_page()
    responses: list[Any] = []
    visitor.on("response", lambda response: responses.append(response))
    visitor.goto(path)
    visitor.get_by_test_id("editor").locator(".cm-content").wait_for()
    for response in responses:
        kind = (
            "js" if response.url.endswith(".js") else "css" if response.url.endswith(".css") else ""
        )
        if kind:
            sizes[kind] += response.request.sizes()["responseBodySize"]
    fresh.close()
    page.context.close()
    return sizes


def time_to_editable(browser: Browser, app: WebApp, path: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        page = sign_in(browser, app, "bench-owner")
        page.goto("/")
        started = page.evaluate("performance.timeOrigin + performance.now()")
        page.goto(path)
        # polled on a timer: requestAnimationFrame does not run in a headless background page
        page.wait_for_function(EDITABLE, polling=20, timeout=30_000)
        ready = page.evaluate("performance.timeOrigin + performance.now()")
        times.append(ready - started)
        page.context.close()
    return times


# the editor lives in a shadow root (its styles under the CSP): looked up from its host
EDITABLE = """() => {
  const host = document.querySelector('[data-testid=editor] .editor-host');
  const content = host && host.shadowRoot && host.shadowRoot.querySelector('.cm-content');
  return !!content && content.contentEditable === 'true' && content.textContent.includes('Член 1.');
}"""
# the reader counts the typed letter, which neither the text nor a caret's name label contains
LETTER = "ю"
# the reader counts the typed letter, which neither the text nor a caret's name label contains
LETTER = "ю"
OBSERVE = """(content) => {
  const count = () => content.textContent.split('ю').length - 1;
  window.__seen = [];
  window.__content = content;
  window.__count = count;
  new MutationObserver(() => {
    window.__seen.push([performance.timeOrigin + performance.now(), count()]);
  }).observe(content, {subtree: true, childList: true, characterData: true});
  return count();
}"""
# Playwright types a letter outside the US layout as text input, without a keydown: the start
# of each keystroke is its `beforeinput` event (composed, so it reaches the document)
KEYDOWNS = """() => {
  window.__keys = [];
  const now = () => performance.timeOrigin + performance.now();
  document.addEventListener('beforeinput', () => window.__keys.push(now()), true);
}"""


def keystrokes(browser: Browser, app: WebApp, path: str, count: int) -> list[float]:
    writer = sign_in(browser, app, "bench-owner")
    reader = sign_in(browser, app, "bench-peer")
    for page in (writer, reader):
        page.goto(path)
        page.get_by_test_id("editor").locator(".cm-content[contenteditable=true]").wait_for()
    base = reader.get_by_test_id("editor").locator(".cm-content").evaluate(OBSERVE)
    writer.evaluate(KEYDOWNS)
    writer.get_by_test_id("editor").locator(".cm-content").click()
    writer.keyboard.press("Control+Home")  # the top is in both viewports
    for _ in range(count):
        writer.keyboard.type(LETTER)
        writer.wait_for_timeout(40)
    reader.wait_for_function(f"window.__count() >= {base + count}", polling=20)
    keys: list[float] = writer.evaluate("window.__keys")
    seen: list[list[float]] = reader.evaluate("window.__seen")
    delays = []
    for index, pressed in enumerate(keys[:count]):
        shown = next(at for at, seen_count in seen if seen_count >= base + index + 1)
        delays.append(shown - pressed)
    writer.context.close()
    reader.context.close()
    return delays


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keystrokes", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "web.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = WebApp(f"sqlite+aiosqlite:///{folder}/veche.db")
        app.start()
        try:
            slug, proposal, _ = prepare(app)
            path = f"/rooms/{slug}/proposals/{proposal}"
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                sizes = transfer(browser, app, path)
                editable = time_to_editable(browser, app, path, args.runs)
                delays = keystrokes(browser, app, path, args.keystrokes)
                browser.close()
        finally:
            app.stop()
    result = {
        "transfer_bytes": sizes,
        "transfer_kb_total": round((sizes["js"] + sizes["css"]) / 1000, 1),
        "editable_ms": [round(t, 1) for t in editable],
        "editable_ms_median": round(statistics.median(editable), 1),
        "keystroke_ms_p50": round(percentile(delays, 0.5), 1),
        "keystroke_ms_p95": round(percentile(delays, 0.95), 1),
        "keystrokes": len(delays),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
