"""The browser application at `/` (client/web/, built by esbuild into client/web/dist).

`index.html` answers `/` and the app's own paths (`/login`, `/invite/…`, `/rooms/…`,
`/consultations…`, `/directory…`), never cached, with the Content-Security-Policy; for the pages
of a consultation, its report, an organisation and a decision record it carries a link preview
(Open Graph tags, `previews.py`); `/assets/{name}` answers the bundle's files, whose
names carry a hash of their content, cached for a year, gzip-compressed when the build made a
`.gz` beside them and the browser accepts it. Without a bundle, `/` explains how to build it.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from server.http.previews import preview_for, with_preview
from server.settings import Settings

# Scripts only from this origin (no inline script, no eval); styles from this origin, plus
# style attributes, which CodeMirror and y-codemirror.next set on the editor's decorations
# (an attribute cannot run code); the sockets and the API are same-origin.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
IMMUTABLE = "public, max-age=31536000, immutable"
ASSET_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+$")
CHECKOUT_BUNDLE = Path(__file__).resolve().parents[2] / "client" / "web" / "dist"

MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Veche: the web app is not built</title></head>
<body><h1>The browser application is not built</h1>
<p>Veche serves its API, but the page at <code>/</code> needs the bundle in
<code>{folder}</code>. Build it with <code>scripts/bootstrap --web</code> (or start the server
with <code>scripts/serve</code>, which builds it), then reload this page.</p>
<p lang="bg">Уеб приложението не е изградено: изпълнете <code>scripts/bootstrap --web</code>
или стартирайте сървъра със <code>scripts/serve</code>.</p></body></html>
"""


def bundle_dir(settings: Settings) -> Path:
    return Path(settings.web_dir) if settings.web_dir else CHECKOUT_BUNDLE


async def page(request: Request) -> Response:
    folder = bundle_dir(request.app.state.services.settings)
    index = folder / "index.html"
    try:
        body = index.read_bytes()
    except FileNotFoundError:
        missing = MISSING.replace("{folder}", str(folder))
        return HTMLResponse(missing, status_code=503, headers=PAGE_HEADERS)
    preview = await preview_for(request)
    if preview is not None:
        body = with_preview(body, preview)
    return HTMLResponse(body, headers=PAGE_HEADERS)


async def asset(request: Request) -> Response:
    name: str = request.path_params["name"]
    folder = bundle_dir(request.app.state.services.settings) / "assets"
    path = folder / name
    if not ASSET_NAME.match(name) or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    compressed = path.with_name(name + ".gz")
    if "gzip" in request.headers.get("accept-encoding", "") and compressed.is_file():
        gzipped = headers | {"Content-Encoding": "gzip"}
        return FileResponse(compressed, headers=gzipped, media_type=_content_type(name))
    return FileResponse(path, headers=headers, media_type=_content_type(name))


def _content_type(name: str) -> str:
    if name.endswith(".js"):
        return "text/javascript; charset=utf-8"
    if name.endswith(".css"):
        return "text/css; charset=utf-8"
    if name.endswith(".map"):
        return "application/json"
    return "text/plain; charset=utf-8"


routes = [
    Route("/", page),
    Route("/login", page),
    Route("/invite/{token}", page),
    Route("/rooms/{rest:path}", page),
    Route("/consultations", page),
    Route("/consultations/{rest:path}", page),
    Route("/directory", page),
    Route("/directory/{rest:path}", page),
    Route("/notices", page),
    Route("/assets/{name}", asset),
]
