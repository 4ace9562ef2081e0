"""How `veche serve` answers for the browser app: the page with its Content-Security-Policy, the
hashed assets cached for a year (gzip when accepted), the app's own paths, and a page that says
how to build the bundle when it is missing."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.support.server import serve_in_process

SCRIPT = "app-ABC123.js"
SOURCE = b"console.log('veche');" * 50


def write_bundle(folder: Path) -> None:
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(
        f'<!doctype html><script type="module" src="/assets/{SCRIPT}"></script>'
    )
    (folder / "assets" / SCRIPT).write_bytes(SOURCE)
    (folder / "assets" / f"{SCRIPT}.gz").write_bytes(gzip.compress(SOURCE))
    (folder / "assets" / "style-XYZ.css").write_text("body{margin:0}")


async def client_for(folder: Path, sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=sqlite_url, web_dir=str(folder))
    async with (
        serve_in_process(settings) as running,
        httpx.AsyncClient(base_url=running.http) as http,
    ):
        yield http


@pytest.fixture
async def http(tmp_path: Path, sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    write_bundle(tmp_path / "dist")
    async for client in client_for(tmp_path / "dist", sqlite_url):
        yield client


@pytest.mark.parametrize("path", ["/", "/login", "/invite/abc", "/rooms/budget/polls/3"])
async def test_the_app_page_answers_its_paths_with_a_strict_policy(
    http: httpx.AsyncClient, path: str
) -> None:
    answer = await http.get(path)
    assert answer.status_code == 200
    assert SCRIPT in answer.text
    policy = answer.headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no inline script, no eval
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_assets_are_cached_for_a_year_and_gzipped_when_accepted(
    http: httpx.AsyncClient,
) -> None:
    plain = await http.get(f"/assets/{SCRIPT}", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.content == SOURCE
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plain.headers["content-type"].startswith("text/javascript")
    assert "content-encoding" not in plain.headers
    zipped = await http.get(f"/assets/{SCRIPT}", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == SOURCE  # httpx decodes it
    assert int(zipped.headers["content-length"]) < len(SOURCE)
    style = await http.get("/assets/style-XYZ.css")
    assert style.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path", ["/assets/missing-1.js", "/assets/..%2Findex.html", "/assets/.hidden", "/nowhere"]
)
async def test_unknown_or_unsafe_names_are_not_found(http: httpx.AsyncClient, path: str) -> None:
    assert (await http.get(path)).status_code == 404


async def test_without_a_bundle_the_page_says_how_to_build_it(
    tmp_path: Path, sqlite_url: str
) -> None:
    async for http in client_for(tmp_path / "no-bundle", sqlite_url):
        answer = await http.get("/")
        assert answer.status_code == 503
        assert "scripts/bootstrap --web" in answer.text
        assert "content-security-policy" in answer.headers
        # the API is served all the same
        assert (await http.get("/healthz")).status_code == 200
