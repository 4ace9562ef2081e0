"""The 28 oblasts and 265 municipalities of Bulgaria, shipped as reference data
(data/municipalities.csv, from the statistical institute's classifier ЕКАТТЕ), with their
official names in Bulgarian and Latin (by the Transliteration Act)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from server.directory.transliteration import search_key, to_latin

OBLASTS = {
    "BLG": "Благоевград", "BGS": "Бургас", "VAR": "Варна", "VTR": "Велико Търново",
    "VID": "Видин", "VRC": "Враца", "GAB": "Габрово", "DOB": "Добрич", "KRZ": "Кърджали",
    "KNL": "Кюстендил", "LOV": "Ловеч", "MON": "Монтана", "PAZ": "Пазарджик", "PER": "Перник",
    "PVN": "Плевен", "PDV": "Пловдив", "RAZ": "Разград", "RSE": "Русе", "SLS": "Силистра",
    "SLV": "Сливен", "SML": "Смолян", "SFO": "София", "SOF": "София (столица)",
    "SZR": "Стара Загора", "TGV": "Търговище", "HKV": "Хасково", "SHU": "Шумен",
    "JAM": "Ямбол",
}  # fmt: skip


@dataclass(frozen=True)
class Oblast:
    code: str  # three letters, as in ЕКАТТЕ
    name: str
    name_latin: str


@dataclass(frozen=True)
class Municipality:
    code: str  # the oblast's three letters and two digits, as in ЕКАТТЕ
    name: str
    name_latin: str
    oblast: str  # its oblast's code
    ekatte: str  # the ЕКАТТЕ number of its administrative centre


@cache
def oblasts() -> tuple[Oblast, ...]:
    """The 28 oblasts, in the order of their Bulgarian names."""
    found = [Oblast(code, name, to_latin(name)) for code, name in OBLASTS.items()]
    return tuple(sorted(found, key=lambda o: o.name))


@cache
def municipalities() -> tuple[Municipality, ...]:
    """The 265 municipalities, in the order of their Bulgarian names (then oblasts)."""
    text = (
        resources.files("server.directory")
        .joinpath("data/municipalities.csv")
        .read_text(encoding="utf-8")
    )
    found = [
        Municipality(
            row["code"], row["name"], to_latin(row["name"]), row["code"][:3], row["ekatte"]
        )
        for row in csv.DictReader(text.splitlines())
    ]
    return tuple(sorted(found, key=lambda m: (m.name, OBLASTS[m.oblast])))


def oblast(code: str) -> Oblast | None:
    return next((o for o in oblasts() if o.code == code), None)


def municipality(code: str) -> Municipality | None:
    return next((m for m in municipalities() if m.code == code), None)


def find_municipalities(name: str, oblast_code: str | None = None) -> list[Municipality]:
    """The municipalities called ``name`` in either script (two are called Бяла), within an
    oblast when given: what a CSV import row's municipality resolves to."""
    key = search_key(name)
    return [
        m
        for m in municipalities()
        if search_key(m.name) == key and (oblast_code is None or m.oblast == oblast_code)
    ]
