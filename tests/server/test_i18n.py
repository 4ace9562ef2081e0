"""Server-side texts in Bulgarian and English (server/i18n/, docs/i18n.md): choosing the locale,
the catalogs (complete in Bulgarian, placeholders kept), and every marked text of the code in
its domain's catalogs. Problem details in the request's language: test_i18n_http.py."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.support import Translations

import server
from server.errors import DomainError
from server.i18n import (
    DEFAULT_LOCALE,
    DOMAINS,
    LOCALES,
    Translator,
    negotiate,
    translatable,
    translator,
)
from server.i18n.catalogs import catalog_file, read_catalog

SERVER = Path(server.__file__).parent
LOCALES_DIR = SERVER / "i18n" / "locales"
Keyword = tuple[int, ...] | None
Text = str | tuple[str, ...]  # a msgid, or a plural's (singular, plural)
# the names the code marks or translates texts with (server/i18n/__init__.py)
KEYWORDS: dict[str, Keyword] = {"N_": None, "gettext": None, "ngettext": (1, 2), "format": None}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


# --- choosing the locale ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "bg"),
        ("", "bg"),
        ("en", "en"),
        ("bg", "bg"),
        ("en-GB", "en"),
        ("bg-BG,bg;q=0.9,en;q=0.8", "bg"),
        ("en-US,en;q=0.9,bg;q=0.8", "en"),
        ("bg;q=0.5, en;q=0.8", "en"),  # by q-value, not by order
        ("en;q=0.8, bg;q=0.8", "en"),  # a tie keeps the header's order
        ("fr-FR, de;q=0.9, en;q=0.1", "en"),  # the best we have
        ("fr, de", "bg"),  # nothing we have: the default
        ("*", "bg"),
        ("fr, *;q=0.5", "bg"),
        ("bg;q=0, *", "en"),  # `*` is any locale not refused
        ("bg;q=0", "en"),  # the default refused, nothing asked for: the other one
        ("en;q=0, bg;q=0", "bg"),
        ("EN-gb", "en"),
        ("en_GB", "en"),
        ("en;q=1.000", "en"),
        ("en;q=0.001, bg;q=0", "en"),
        ("en;q=2, bg;q=0.5", "bg"),  # an invalid q-value drops its range
        ("en;q=abc", "bg"),
        ("en;q=0.5555", "bg"),
        ("en;q=", "bg"),
        ("en; q = 0.5 ", "en"),
        ("en;level=1;q=0.9", "en"),
        (";;;,,,", "bg"),
        ("en-", "bg"),
        ("123, en", "en"),
        ("english", "bg"),  # longer than 8 letters: not a language range
        ("\u0431\u0433, en", "en"),  # not ASCII
        ("en\x00", "bg"),
        ("q=0.5, en", "en"),
        ("a" * 100_000, "bg"),
        ("fr," * 10_000 + "en", "bg"),  # only the first ranges are read
        ("en," + "x" * 10_000, "en"),  # the first ranges of a long header still count
        ("fr, " * 20 + "en", "bg"),
    ],
)
def test_negotiate_a_header(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    ("header", "preferred", "expected"),
    [
        ("en", "bg", "bg"),  # the user's stored choice wins over the header
        ("bg", "en", "en"),
        (None, "en", "en"),
        ("en", "fr", "en"),  # a locale we do not have falls back to the header
        ("en", "", "en"),
        (None, None, "bg"),
        ("bg", "en-GB", "en"),
    ],
)
def test_a_preferred_locale_overrides_the_header(
    header: str | None, preferred: str | None, expected: str
) -> None:
    assert negotiate(header, preferred) == expected


# --- translators -------------------------------------------------------------------------------


def test_translators_by_locale_and_domain() -> None:
    assert (DEFAULT_LOCALE, LOCALES) == ("bg", ("bg", "en"))
    bg, en = translator("bg", "problems"), translator("en", "problems")
    assert (bg.gettext("Not found"), en.gettext("Not found")) == ("Не е намерено", "Not found")
    assert translator("fr", "problems").locale == DEFAULT_LOCALE  # unknown: the default
    assert translator("en-GB", "problems").locale == "en"
    assert translator("bg", "problems") is bg  # compiled once
    assert bg.gettext("a text no catalog has") == "a text no catalog has"
    assert bg.gettext("") == ""  # never the catalog's header
    limit = "the request body must be at most {limit} bytes"
    assert bg.format(limit, limit=1024) == "тялото на заявката може да е най-много 1024 байта"
    assert en.format(limit, limit=1024) == "the request body must be at most 1024 bytes"


def test_an_unknown_domain_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown catalog domain"):
        translator("bg", "nonsense")
    with pytest.raises(ValueError, match="unknown catalog domain"):
        translatable("nonsense")
    mark = translatable("problems")
    assert mark("Not found") == "Not found"  # a marker only: translated where used


def test_plural_forms_follow_the_catalog_header() -> None:
    catalog = Catalog(locale="bg", domain="problems")
    catalog.add(("{n} vote", "{n} votes"), ("{n} глас", "{n} гласа"))
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    texts = Translator("bg", "problems", Translations(compiled, domain="problems"))
    forms = [texts.ngettext("{n} vote", "{n} votes", n).format(n=n) for n in (0, 1, 2, 5)]
    assert forms == ["0 гласа", "1 глас", "2 гласа", "5 гласа"]
    assert translator("bg", "problems").ngettext("one", "many", 1) == "one"  # no entry
    assert translator("en", "problems").ngettext("one", "many", 3) == "many"


# --- the catalogs --------------------------------------------------------------------------------


def _catalogs() -> Iterator[tuple[str, str, Catalog]]:
    for domain in DOMAINS:
        for locale in LOCALES:
            yield locale, domain, read_catalog(locale, domain)


def test_every_domain_has_a_catalog_per_locale_and_nothing_else() -> None:
    present = {(p.parts[-3], p.stem) for p in LOCALES_DIR.glob("*/LC_MESSAGES/*.po")}
    assert present == {(locale, domain) for locale in LOCALES for domain in DOMAINS}
    assert not list(LOCALES_DIR.rglob("*.mo"))  # compiled in memory, never committed
    for locale in LOCALES:
        for domain in DOMAINS:
            assert catalog_file(locale, domain).is_file()


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_forms_headers_are_the_languages(locale: str) -> None:
    expected = get_plural(locale)  # Babel's CLDR data: bg and en both have two forms
    for domain in DOMAINS:
        catalog = read_catalog(locale, domain)
        assert (catalog.num_plurals, catalog.plural_expr) == (
            expected.num_plurals,
            expected.plural_expr,
        )
        raw = catalog_file(locale, domain).read_text(encoding="utf-8")
        assert f'"Plural-Forms: {expected.plural_forms}\\n"' in raw, "written in the file"
        assert f'"Language: {locale}\\n"' in raw


def _forms(value: object) -> tuple[str, ...]:
    """A msgid or msgstr as its forms: one, or a plural's several."""
    if isinstance(value, str):
        return (value,)
    return tuple(str(form) for form in value) if isinstance(value, list | tuple) else ()


def _ids(catalog: Catalog) -> set[Text]:
    ids = (_forms(message.id) for message in catalog if message.id)
    return {forms[0] if len(forms) == 1 else forms for forms in ids}


def test_catalogs_of_a_domain_hold_the_same_texts_once() -> None:
    for domain in DOMAINS:
        bg, en = (read_catalog(locale, domain) for locale in ("bg", "en"))
        assert _ids(bg) == _ids(en), domain
        for locale in LOCALES:
            raw = catalog_file(locale, domain).read_text(encoding="utf-8")
            entries = len(re.findall(r"^msgid ", raw, re.M)) - 1  # the header is one
            assert entries == len(_ids(read_catalog(locale, domain))), (
                f"{locale}/{domain}: duplicates"
            )


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_bulgarian_translates_every_text_and_keeps_its_placeholders() -> None:
    for domain in DOMAINS:
        for message in read_catalog("bg", domain):
            if not message.id:
                continue
            ids, strings = _forms(message.id), _forms(message.string)
            where = f"bg/{domain}: {ids[0]!r}"
            assert all(strings), f"{where} is not translated"
            assert not message.fuzzy, f"{where} is fuzzy: not shown until checked"
            wanted = set().union(*(_placeholders(i) for i in ids))
            for string in strings:
                # every value is shown, and no name is asked that the code does not give
                assert _placeholders(string) == wanted, where
                assert re.search("[а-яА-Я]", string), f"{where} is not in Bulgarian"


def test_english_catalogs_keep_placeholders_where_they_translate() -> None:
    for domain in DOMAINS:
        for message in read_catalog("en", domain):
            ids, strings = _forms(message.id), _forms(message.string)
            if ids and any(strings):
                wanted = set().union(*(_placeholders(i) for i in ids))
                assert all(_placeholders(s) == wanted for s in strings if s), ids


# --- every text of the code is in its domain's catalogs ---------------------------------------


def _domains_named(path: Path) -> set[str]:
    """The domains a module names as literals: `translatable("d")`, `translator(x, "d")`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        position = {"translatable": 0, "translator": 1}.get(str(name))
        if position is None:
            continue
        arguments = [*node.args, *(k.value for k in node.keywords if k.arg == "domain")]
        literal = [a.value for a in arguments[position:] if isinstance(a, ast.Constant)]
        if literal and isinstance(literal[0], str):
            found.add(literal[0])
    return found


def _in_fstrings(path: Path, keywords: dict[str, Keyword]) -> Iterator[tuple[int, Text]]:
    """Texts marked inside an f-string's braces, which Babel cannot see on Python 3.11 (an
    f-string is one token there): `f"{t.gettext('Room')}: {name}"`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for fstring in (node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)):
        for node in ast.walk(fstring):
            if not isinstance(node, ast.Call):
                continue
            name = str(getattr(node.func, "id", None) or getattr(node.func, "attr", None))
            if name not in keywords:
                continue
            count = len(keywords[name] or (1,))
            literals = [
                a.value
                for a in node.args[:count]
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            if len(literals) == count:
                yield node.lineno, literals[0] if count == 1 else tuple(literals)


def _extracted(root: Path, keywords: dict[str, Keyword]) -> dict[Path, list[tuple[int, Text]]]:
    """The texts Babel finds in each module under ``root`` (and those inside f-strings it
    misses): (line, msgid) by file."""
    by_file: dict[Path, list[tuple[int, Text]]] = {}
    for filename, line, message, _, _ in extract_from_dir(str(root), keywords=keywords):
        by_file.setdefault(root / filename, []).append((line, message))
    for path in sorted(root.rglob("*.py")):
        texts = by_file.get(path, [])
        seen = {message for _, message in texts}
        texts += [(line, m) for line, m in _in_fstrings(path, keywords) if m not in seen]
        if texts:
            by_file[path] = texts
    return by_file


def _marking_faults(root: Path) -> list[str]:
    """What is wrong with the marked texts under ``root``: a text missing from a catalog of
    its module's domain, a module with texts that names no domain, or names several."""
    known = {(locale, domain): _ids(catalog) for locale, domain, catalog in _catalogs()}
    faults: list[str] = []
    for path, texts in _extracted(root, KEYWORDS).items():
        domains, where = _domains_named(path), path.relative_to(root.parent)
        if len(domains) > 1:
            faults.append(f"{where}: one domain per module, not {sorted(domains)}")
        elif domains and not domains <= set(DOMAINS):
            faults.append(f"{where}: the unknown domain {domains}")
        elif domains:
            (domain,) = domains
            faults.extend(
                f"{where}:{line} {message!r} is not in {locale}/{domain}.po"
                for line, message in texts
                for locale in LOCALES
                if message not in known[locale, domain]
            )
    # `format` is a keyword for `Translator.format`, and also `str.format`: in a module that
    # names no domain only the other keywords mark texts
    marked = {k: v for k, v in KEYWORDS.items() if k != "format"}
    for path, texts in _extracted(root, marked).items():
        if not _domains_named(path):
            where = path.relative_to(root.parent)
            faults.extend(f"{where}:{line} {message!r} has no domain" for line, message in texts)
    return faults


def test_every_marked_text_is_in_its_domains_catalogs() -> None:
    assert _marking_faults(SERVER) == []
    marked = _extracted(SERVER, KEYWORDS)
    assert {"Room not found", "Not Found"} <= {m for texts in marked.values() for _, m in texts}


def test_a_text_without_a_translation_fails_the_check(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "new.py").write_text(
        'N_ = translatable("problems")\nTITLE = N_("Not found")\nOTHER = N_("Brand new")\n'
        'def f(t): return t.ngettext("{n} file", "{n} files", 2)\n'
        "def g(t): return f\"{t.gettext('Hidden')}: {t.gettext('Not found')}\"\n",
        encoding="utf-8",
    )
    (package / "loose.py").write_text('X = N_("No domain")\nY = "{}".format("fine")\n')
    (package / "two.py").write_text(
        'A = translatable("problems")\nB = translator("bg", "outreach").gettext("x")\n'
    )
    assert _marking_faults(package) == [
        "pkg/new.py:3 'Brand new' is not in bg/problems.po",
        "pkg/new.py:3 'Brand new' is not in en/problems.po",
        "pkg/new.py:4 ('{n} file', '{n} files') is not in bg/problems.po",
        "pkg/new.py:4 ('{n} file', '{n} files') is not in en/problems.po",
        "pkg/new.py:5 'Hidden' is not in bg/problems.po",
        "pkg/new.py:5 'Hidden' is not in en/problems.po",
        "pkg/two.py: one domain per module, not ['outreach', 'problems']",
        "pkg/loose.py:1 'No domain' has no domain",
    ]


def _import_server() -> None:
    """Every module of server/, so that every error class is defined."""
    for info in pkgutil.walk_packages(server.__path__, "server."):
        if not info.name.endswith(("sandbox_worker", "__main__")):
            importlib.import_module(info.name)


def _subclasses(kind: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in kind.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_title_is_in_the_problems_catalogs() -> None:
    """Also at run time: a title written without the marker is caught here."""
    _import_server()
    kinds: list[type[DomainError]] = [DomainError, *_subclasses(DomainError)]
    titles: set[Text] = {kind.title for kind in kinds}
    assert len(titles) > 15
    for locale in LOCALES:
        assert titles <= _ids(read_catalog(locale, "problems")), locale
