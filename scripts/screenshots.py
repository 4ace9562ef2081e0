"""The room page as people see it, for the README: `scripts/screenshots` runs this.

Seeds a room on a fresh SQLite database (a proposal with text, a discussion, an agenda, an
open poll), opens the proposal signed in as its owner while a colleague edits beside them,
and writes docs/screenshots/room-{bg,en}-{desktop,phone}.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from client.live_client import LiveClient  # noqa: E402
from tests.support.web import CHROMIUM, CHROMIUM_ARGS, PASSWORD, WebApp, run_async  # noqa: E402
from tests.support.yjs_node import YjsNodeClient  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
TEXT = """# Наредба за опазване на обществения ред в Община Смолян

## Глава първа. Общи положения

**Чл. 1.** (1) С тази наредба се уреждат обществените отношения, свързани с опазването на
обществения ред на територията на общината.

(2) Наредбата се прилага за всички физически и юридически лица.

**Чл. 2.** Целта на наредбата е осигуряване на спокойствието на гражданите.
"""
MESSAGES = [
    ("maria", "Предлагам да обсъдим първо **чл. 2** — целта е формулирана твърде общо."),
    ("georgi", "Съгласен съм. Да добавим и срок за влизане в сила."),
    ("maria", "Добавих го в текста; моля, погледнете."),
]


def seed(app: WebApp) -> str:
    app.create_user("maria", display_name="Мария Петрова")
    app.create_user("georgi", display_name="Георги Иванов")
    owner = app.api("maria")
    slug = owner.room("Общински съвет — Смолян", slug="smolyan")["slug"]
    owner.member(slug, "georgi", "participant")
    proposal = owner.ok("POST", f"/rooms/{slug}/proposals", {"title": "Наредба за реда"})
    owner.ok("POST", f"/rooms/{slug}/proposals/{proposal['id']}/state", {"state": "discussion"})
    owner.ok(
        "POST",
        f"/rooms/{slug}/polls",
        {
            "title": "Кога да е общественото обсъждане?",
            "method": "single_choice",
            "options": ["През януари", "През февруари"],
            "visibility": "always",
        },
    )

    async def write() -> None:
        editor = await YjsNodeClient.start(app.yjs, proposal["document"], owner.token)
        try:
            await editor.wait_synced()
            await editor.request("type", text=TEXT, delayMs=0, at="end")
            check = await YjsNodeClient.start(app.yjs, proposal["document"], owner.token)
            await check.request("waitText", length=len(TEXT), timeoutMs=20_000)
            await check.close()
        finally:
            await editor.close()
        live = f"ws://127.0.0.1:{app.port}/live"
        for name, body in MESSAGES:
            async with LiveClient(live, slug, token=app.api(name).token) as client:
                await client.send("post", body=body)
        async with LiveClient(live, slug, token=owner.token) as client:
            await client.send("agenda_add", title="Откриване")
            await client.send("agenda_add", title="Наредба за реда")

    run_async(write())
    return f"/rooms/{slug}/proposals/{proposal['id']}"


def signed_in(browser: Browser, app: WebApp, name: str, locale: str, width: int) -> Page:
    viewport: ViewportSize = {"width": width, "height": 900 if width > 500 else 812}
    context = browser.new_context(base_url=app.url, locale=locale, viewport=viewport)
    page: Page = context.new_page()
    page.goto("/login")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.get_by_test_id("who").wait_for()
    return page


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = WebApp(f"sqlite+aiosqlite:///{folder}/veche.db")
        app.start()
        try:
            path = seed(app)
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                colleague = signed_in(browser, app, "georgi", "bg", 1280)
                colleague.goto(path)
                colleague.get_by_test_id("editor").locator(".cm-content").click()
                colleague.keyboard.press("Control+End")
                for locale in ("bg", "en"):
                    for label, width in (("desktop", 1280), ("phone", 375)):
                        page = signed_in(browser, app, "maria", locale, width)
                        page.goto(path)
                        page.get_by_test_id("editor").locator(".cm-content").wait_for()
                        page.get_by_test_id("message").first.wait_for()
                        page.wait_for_timeout(800)  # remote cursor and presence settle
                        target = OUT / f"room-{locale}-{label}.png"
                        page.screenshot(path=str(target), full_page=width < 500)
                        print(f"wrote {target.relative_to(ROOT)}")
                        page.context.close()
                browser.close()
        finally:
            app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
